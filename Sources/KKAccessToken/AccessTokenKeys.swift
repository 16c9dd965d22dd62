import Crypto
import Foundation
import JWTKit
import KKToken

/// Why a key configuration was refused.
public enum AccessKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case badKey(String)

    public var description: String {
        switch self { case .badKey(let why): "bad access-token key: \(why)" }
    }
}

/// One Ed25519 public key of the auth service and its key id (`kid`), as other services are
/// configured with it: `kid:hex` (64 hex characters of the raw 32-byte key) or just the hex
/// (kid ``AccessTokenSigner/defaultKeyId``).
public struct AccessPublicKey: Equatable, Sendable {
    public var keyId: String
    public var raw: [UInt8]

    public init(keyId: String, raw: [UInt8]) { self.keyId = keyId; self.raw = raw }

    public init(parsing text: String) throws(AccessKeyError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kid = parts.count == 2 ? parts[0] : AccessTokenSigner.defaultKeyId
        let hex = parts.count == 2 ? parts[1] : text
        guard !kid.isEmpty, kid.utf8.count <= 64, kid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw .badKey("key id must be 1-64 characters of A-Z, a-z, 0-9, - and _")
        }
        guard hex.utf8.count == 64, let bytes = TokenKey.bytes(hex: hex), bytes.count == 32 else {
            throw .badKey("want 64 hex characters (the raw 32-byte Ed25519 public key)")
        }
        keyId = kid
        raw = bytes
    }
}

/// Verifies access tokens offline against the auth service's public keys (several during a key
/// rotation: the token's `kid` picks one). Never throws: a token that is malformed, signed by
/// another key, expired or from another issuer is simply not valid.
public struct AccessTokenVerifier: Sendable {
    let keys: JWTKeyCollection

    public init(publicKeys: [AccessPublicKey]) async throws(AccessKeyError) {
        guard !publicKeys.isEmpty else { throw .badKey("no public key") }
        keys = JWTKeyCollection()
        for k in publicKeys {
            let key: EdDSA.PublicKey
            do { key = try EdDSA.PublicKey(backing: Curve25519.Signing.PublicKey(rawRepresentation: k.raw)) } catch {
                throw .badKey("not an Ed25519 public key (\(k.keyId))")
            }
            await keys.add(eddsa: key, kid: JWKIdentifier(string: k.keyId))
        }
    }

    /// The claims of a valid token, or nil.
    public func verify(_ token: String) async -> AccessClaims? {
        guard token.utf8.count <= 4096 else { return nil }
        return try? await keys.verify(token, as: AccessClaims.self)
    }

    /// The claims of a valid `Authorization: Bearer <token>` header value, or nil.
    public func verify(authorization: String?) async -> AccessClaims? {
        guard let authorization, authorization.utf8.count <= 4200 else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return await verify(String(parts[1]).trimmingCharacters(in: .whitespaces))
    }
}

/// Signs access tokens with the auth service's Ed25519 private key (from its 32-byte seed).
public struct AccessTokenSigner: Sendable {
    public static let defaultKeyId = "auth-1"
    public let keyId: String
    /// The public half, to configure the verifying services with (and served as a JWKS).
    public let publicKey: AccessPublicKey
    let keys: JWTKeyCollection

    public init(seed: [UInt8], keyId: String = AccessTokenSigner.defaultKeyId) async throws(AccessKeyError) {
        let key: Curve25519.Signing.PrivateKey
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch { throw .badKey("not a 32-byte Ed25519 seed") }
        self.keyId = keyId
        publicKey = AccessPublicKey(keyId: keyId, raw: Array(key.publicKey.rawRepresentation))
        keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: keyId))
    }

    public func sign(_ claims: AccessClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: keyId))
    }

    /// A verifier for this key (and `others`, e.g. the previous key during a rotation).
    public func verifier(others: [AccessPublicKey] = []) async throws(AccessKeyError) -> AccessTokenVerifier {
        try await AccessTokenVerifier(publicKeys: [publicKey] + others)
    }
}
