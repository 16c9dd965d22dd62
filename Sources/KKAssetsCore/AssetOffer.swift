/// What the assets service hands a client for one platform: the current build's manifest as
/// signed (the client verifies it with the keys it trusts, never the service's word), and for
/// each bundle a signed, expiring CDN URL.
public struct AssetOffer: Codable, Sendable, Equatable {
    public var build: String
    public var manifest: SignedManifest
    /// Bundle SHA-256 -> signed CDN URL (nginx secure_link), valid until ``expires``.
    public var urls: [String: String]
    /// Seconds since 1970 when the URLs stop working (410): ask again.
    public var expires: Int64

    public init(build: String, manifest: SignedManifest, urls: [String: String], expires: Int64) {
        self.build = build; self.manifest = manifest; self.urls = urls; self.expires = expires
    }
}
