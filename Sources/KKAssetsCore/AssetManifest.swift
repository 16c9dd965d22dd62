import Crypto
import Foundation
import KKToken

/// Why an asset, a manifest or a signature was refused.
public enum AssetError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    /// Signed by a key id this client does not trust.
    case unknownKey(String)
    /// The signature does not match the manifest's bytes (tampered, or signed by another key).
    case badSignature
    /// A bundle's bytes are not the ones the manifest names.
    case hashMismatch(expected: String, got: String)
    case sizeMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed: \(why)"
        case .unknownKey(let id): "signed by unknown key '\(id)'"
        case .badSignature: "bad signature"
        case .hashMismatch(let e, let g): "content hash \(g) is not the manifest's \(e)"
        case .sizeMismatch(let e, let g): "size \(g) is not the manifest's \(e)"
        }
    }
}

/// One content-addressed bundle: its name is the SHA-256 of its bytes (hex), so a bundle can be
/// cached, shared and checked by name alone.
public struct AssetBundle: Codable, Sendable, Equatable {
    /// What it is, e.g. `track/oval`.
    public var id: String
    /// `track`, `kart`, `skin`...
    public var kind: String
    /// SHA-256 of the bytes, 64 lower-case hex characters: the bundle's name in the store.
    public var sha256: String
    public var size: Int

    public init(id: String, kind: String, sha256: String, size: Int) {
        self.id = id; self.kind = kind; self.sha256 = sha256; self.size = size
    }

    /// The bundle of `bytes`.
    public init(id: String, kind: String, bytes: some DataProtocol) {
        self.init(id: id, kind: kind, sha256: SigV4.sha256Hex(bytes), size: bytes.count)
    }

    /// Checks downloaded bytes against the manifest: size, then hash.
    public func verify(_ bytes: some DataProtocol) throws(AssetError) {
        guard bytes.count == size else { throw .sizeMismatch(expected: size, got: bytes.count) }
        let got = SigV4.sha256Hex(bytes)
        guard got == sha256 else { throw .hashMismatch(expected: sha256, got: got) }
    }
}

/// What one build ships for one platform: its bundles by id.
public struct AssetManifest: Codable, Sendable, Equatable {
    public var version = 1
    public var build: String
    public var platform: String
    /// Seconds since 1970.
    public var createdAt: Int64
    public var bundles: [AssetBundle]

    public init(build: String, platform: String, createdAt: Int64, bundles: [AssetBundle]) {
        self.build = build; self.platform = platform; self.createdAt = createdAt
        self.bundles = bundles.sorted { $0.id < $1.id }
    }

    public func bundle(_ id: String) -> AssetBundle? { bundles.first { $0.id == id } }
}

/// A manifest as shipped: the manifest's JSON text exactly as signed, the signing key's id and
/// the Ed25519 signature (hex) over that text's UTF-8 bytes. Verifying the bytes as they came
/// (not a re-encoding) leaves no room for two encodings of one manifest.
public struct SignedManifest: Codable, Sendable, Equatable {
    public var payload: String
    public var keyId: String
    public var signature: String

    /// Signs `manifest` with `key`.
    public init(_ manifest: AssetManifest, keyId: String, key: Curve25519.Signing.PrivateKey) throws(AssetError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(manifest) else { throw .malformed("manifest not encodable") }
        payload = String(decoding: data, as: UTF8.self)
        self.keyId = keyId
        guard let sig = try? key.signature(for: Array(payload.utf8)) else { throw .malformed("signing failed") }
        signature = SigV4.hex(sig)
    }

    /// The manifest, once its signature checks out against `trusted` (key id -> public key).
    public func verified(trusted: [String: Curve25519.Signing.PublicKey]) throws(AssetError) -> AssetManifest {
        guard let key = trusted[keyId] else { throw .unknownKey(keyId) }
        guard let sig = TokenKey.bytes(hex: signature), sig.count == 64 else { throw .badSignature }
        guard key.isValidSignature(sig, for: Array(payload.utf8)) else { throw .badSignature }
        let manifest: AssetManifest
        do { manifest = try JSONDecoder().decode(AssetManifest.self, from: Data(payload.utf8)) } catch { throw .malformed("payload: \(error)") }
        // A bundle's name is a file name on every client: exactly 64 lower-case hex digits.
        for b in manifest.bundles {
            guard b.sha256.utf8.count == 64, b.sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                throw .malformed("bundle \(b.id.prefix(64)): sha256 is not 64 lower-case hex digits")
            }
            guard b.size >= 0, !b.id.isEmpty else { throw .malformed("bundle \(b.id.prefix(64)): bad size or id") }
        }
        return manifest
    }
}
