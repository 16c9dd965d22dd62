import Crypto
import Foundation
import Hummingbird
import KKAccessToken
import KKAdmin
import KKAssetsCore
import Metrics

/// Why an assets route refused.
public enum AssetServiceError: ServiceHTTPError, Equatable {
    case badRequest(String)
    case unauthorized
    case notFound(String)
    /// The store did not answer, or holds a manifest that fails its signature (never offered).
    case storeUnavailable(String)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .storeUnavailable: .badGateway
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .storeUnavailable: "store_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m), .storeUnavailable(let m): m
        case .unauthorized: "a valid access token is required (Authorization: Bearer)"
        }
    }
}

/// Settings of the assets service.
public struct AssetServiceConfig: Sendable {
    /// The CDN's base URL (nginx, `Ops/scripts/nginx-cdn.sh`), e.g. `http://127.0.0.1:8080`.
    public var cdnBaseURL: String
    /// nginx's `secure_link_md5` secret.
    public var linkSecret: String
    /// How long handed-out URLs work, seconds.
    public var urlSeconds: Int64 = 600
    /// How long the current manifest is served from memory before the store is asked again, ms.
    public var cacheMillis: Int64 = 5_000
    /// Keys a manifest must be signed with (id -> public key) before it is offered.
    public var trusted: [String: Curve25519.Signing.PublicKey]

    public init(cdnBaseURL: String, linkSecret: String, trusted: [String: Curve25519.Signing.PublicKey]) {
        self.cdnBaseURL = cdnBaseURL.hasSuffix("/") ? String(cdnBaseURL.dropLast()) : cdnBaseURL
        self.linkSecret = linkSecret
        self.trusted = trusted
    }
}

/// The assets routes (access token required; the realtime path never waits on them):
/// - `GET /v1/assets/{platform}/current`: an ``AssetOffer``: the current build's signed
///   manifest and a signed, expiring CDN URL per bundle.
/// - `GET /v1/assets/{platform}/bundles/{sha256}`: 307 to a fresh signed URL of one bundle of
///   the current build (404 for a bundle it does not list).
///
/// The manifest is read from the store (``AssetPublisher``'s layout) and cached for
/// ``AssetServiceConfig/cacheMillis``; a manifest whose signature fails is never offered (502,
/// counted `kk_assets_offers_total{outcome="bad_manifest"}`), so a tampered store cannot
/// reach clients through the service (and clients verify again).
public struct AssetService: Sendable {
    public let config: AssetServiceConfig
    public let verifier: AccessTokenVerifier
    let cache: ManifestCache
    let metrics: any MetricsFactory

    public init(store: S3Store, config: AssetServiceConfig, verifier: AccessTokenVerifier, metricsFactory: any MetricsFactory) {
        self.config = config
        self.verifier = verifier
        cache = ManifestCache(publisher: AssetPublisher(store: store), trusted: config.trusted, ttlMillis: config.cacheMillis)
        metrics = metricsFactory
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/assets/{platform}/current") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(AssetServiceError) in
                try await authorize(req)
                let platform = try Self.platform(ctx)
                let offer = try await self.offer(platform: platform, now: Int64(Date().timeIntervalSince1970))
                count("ok")
                return ServiceHTTP.json(.ok, offer)
            }
        }
        router.get("/v1/assets/{platform}/bundles/{sha256}") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(AssetServiceError) in
                try await authorize(req)
                let platform = try Self.platform(ctx)
                guard let sha = ctx.parameters.get("sha256")?.lowercased(), sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
                    throw .badRequest("a bundle's SHA-256 (64 hex) in the path")
                }
                let (_, manifest, _) = try await current(platform: platform)
                guard manifest.bundles.contains(where: { $0.sha256 == sha }) else { throw .notFound("bundle \(sha) is not in the current \(platform) build") }
                let url = bundleURL(sha, expires: Int64(Date().timeIntervalSince1970) + config.urlSeconds)
                return Response(status: .temporaryRedirect, headers: [.location: url])
            }
        }
    }

    /// The offer for `platform` at `now`.
    public func offer(platform: String, now: Int64) async throws(AssetServiceError) -> AssetOffer {
        let (build, manifest, signed) = try await current(platform: platform)
        let expires = now + config.urlSeconds
        var urls: [String: String] = [:]
        for b in manifest.bundles { urls[b.sha256] = bundleURL(b.sha256, expires: expires) }
        return AssetOffer(build: build, manifest: signed, urls: urls, expires: expires)
    }

    func count(_ outcome: String) {
        Counter(label: "kk_assets_offers_total", dimensions: [("outcome", outcome)], factory: metrics).increment()
    }

    /// The SHA-256 of bundle `id` in the current build for `platform` (nil: none, or the store
    /// cannot be read): what the lobby pins a race's track to.
    public func currentSha256(of id: String, platform: String) async -> String? {
        guard case .success(let c) = await cache.current(platform: platform) else { return nil }
        return c.1.bundle(id)?.sha256
    }

    func bundleURL(_ sha: String, expires: Int64) -> String {
        SecureLink.url(base: config.cdnBaseURL, uri: "/bundles/\(sha)", expires: expires, secret: config.linkSecret)
    }

    func current(platform: String) async throws(AssetServiceError) -> (String, AssetManifest, SignedManifest) {
        switch await cache.current(platform: platform) {
        case .success(let c): return c
        case .failure(let e):
            count(e.label == "not_found" ? "none" : "bad_manifest")
            throw e
        }
    }

    func authorize(_ req: Request) async throws(AssetServiceError) {
        guard await verifier.verify(authorization: req.headers[.authorization])?.accountId != nil else { throw .unauthorized }
    }

    static func platform<C: RequestContext>(_ ctx: C) throws(AssetServiceError) -> String {
        guard let p = ctx.parameters.get("platform"), (1...32).contains(p.count),
              p.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .badRequest("a platform name in the path (letters, digits, '-', '_')")
        }
        return p
    }
}

/// The current manifest per platform, read through the publisher (signature checked) and kept
/// for a few seconds: a burst of clients costs the store one read.
actor ManifestCache {
    let publisher: AssetPublisher
    let trusted: [String: Curve25519.Signing.PublicKey]
    let ttlMillis: Int64
    private var entries: [String: (at: ContinuousClock.Instant, value: Entry)] = [:]

    init(publisher: AssetPublisher, trusted: [String: Curve25519.Signing.PublicKey], ttlMillis: Int64) {
        self.publisher = publisher; self.trusted = trusted; self.ttlMillis = ttlMillis
    }

    typealias Entry = (String, AssetManifest, SignedManifest)
    private var inFlight: [String: Task<Result<Entry, AssetServiceError>, Never>] = [:]

    func current(platform: String) async -> Result<Entry, AssetServiceError> {
        let now = ContinuousClock.now
        if let e = entries[platform], now - e.at < .milliseconds(ttlMillis) { return .success(e.value) }
        // One read of the store per platform at a time: requests meanwhile wait for it.
        if let t = inFlight[platform] { return await t.value }
        let (publisher, trusted) = (self.publisher, self.trusted)
        let t = Task { await Self.read(publisher: publisher, trusted: trusted, platform: platform) }
        inFlight[platform] = t
        let r = await t.value
        inFlight[platform] = nil
        if case .success(let v) = r { entries[platform] = (ContinuousClock.now, v) }
        return r
    }

    static func read(publisher: AssetPublisher, trusted: [String: Curve25519.Signing.PublicKey], platform: String) async -> Result<Entry, AssetServiceError> {
        do {
            guard let (pointer, signed) = try await publisher.currentSigned(platform: platform) else {
                return .failure(.notFound("nothing published for \(platform)"))
            }
            let manifest: AssetManifest
            do throws(AssetError) { manifest = try signed.verified(trusted: trusted) } catch {
                return .failure(.storeUnavailable("the stored manifest \(pointer.manifest) is refused: \(error)"))
            }
            return .success((pointer.build, manifest, signed))
        } catch {
            return .failure(.storeUnavailable("asset store: \(error)"))
        }
    }
}
