import Crypto
import Foundation
import KKAssetsCore

/// Publishes a build's asset bundles to an S3-compatible store and moves the platform's
/// "current" pointer; rollback moves it back. Layout of the bucket:
/// - `bundles/<sha256>`: a bundle's bytes under its content hash (uploaded once, whoever needs it);
/// - `manifests/<platform>/<build>.json`: the build's ``SignedManifest``;
/// - `current/<platform>.json`: ``Pointer``, the build clients should use.
/// The pointer moves last, after every bundle and the manifest are stored: a client never
/// sees a manifest whose bundles are missing.
public struct AssetPublisher: Sendable {
    public let store: S3Store
    public init(store: S3Store) { self.store = store }

    /// What `current/<platform>.json` holds.
    public struct Pointer: Codable, Sendable, Equatable {
        public var build: String
        public var manifest: String
    }

    /// What a publish did.
    public struct Published: Sendable, Equatable {
        public var manifestKey: String
        public var uploaded: Int
        public var alreadyStored: Int
    }

    public static func manifestKey(platform: String, build: String) -> String { "manifests/\(platform)/\(build).json" }
    public static func pointerKey(platform: String) -> String { "current/\(platform).json" }
    public static func bundleKey(_ b: AssetBundle) -> String { "bundles/\(b.sha256)" }

    /// Uploads the bundles missing from the store, the signed manifest, then the pointer.
    public func publish(_ contents: [(id: String, kind: String, bytes: [UInt8])], build: String, platform: String,
                        keyId: String, key: Curve25519.Signing.PrivateKey, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> Published {
        var bundles: [AssetBundle] = []
        var uploaded = 0, stored = 0
        for c in contents {
            let b = AssetBundle(id: c.id, kind: c.kind, bytes: c.bytes)
            bundles.append(b)
            if try await store.exists(Self.bundleKey(b)) { stored += 1; continue }
            try await store.put(Self.bundleKey(b), c.bytes, publicRead: true)
            uploaded += 1
        }
        let signed = try SignedManifest(AssetManifest(build: build, platform: platform, createdAt: now, bundles: bundles), keyId: keyId, key: key)
        let mkey = Self.manifestKey(platform: platform, build: build)
        try await store.put(mkey, Array(try JSONEncoder().encode(signed)), contentType: "application/json", publicRead: true)
        try await setCurrent(Pointer(build: build, manifest: mkey), platform: platform)
        return Published(manifestKey: mkey, uploaded: uploaded, alreadyStored: stored)
    }

    /// Points the platform back (or forward) at a build published before.
    public func rollback(platform: String, to build: String) async throws {
        let mkey = Self.manifestKey(platform: platform, build: build)
        guard try await store.exists(mkey) else { throw S3Error.status(404, "no manifest \(mkey)") }
        try await setCurrent(Pointer(build: build, manifest: mkey), platform: platform)
    }

    /// The pointer, and the manifest it names once its signature checks out.
    public func current(platform: String, trusted: [String: Curve25519.Signing.PublicKey]) async throws -> (Pointer, AssetManifest)? {
        guard let (pointer, signed) = try await currentSigned(platform: platform) else { return nil }
        return (pointer, try signed.verified(trusted: trusted))
    }

    /// The pointer and the signed manifest it names, as stored (not yet verified).
    public func currentSigned(platform: String) async throws -> (Pointer, SignedManifest)? {
        guard let p = try await store.get(Self.pointerKey(platform: platform)) else { return nil }
        let pointer = try JSONDecoder().decode(Pointer.self, from: Data(p))
        guard let m = try await store.get(pointer.manifest) else { throw S3Error.status(404, "the pointer names \(pointer.manifest), which is missing") }
        return (pointer, try JSONDecoder().decode(SignedManifest.self, from: Data(m)))
    }

    func setCurrent(_ p: Pointer, platform: String) async throws {
        try await store.put(Self.pointerKey(platform: platform), Array(try JSONEncoder().encode(p)), contentType: "application/json", publicRead: true)
    }
}
