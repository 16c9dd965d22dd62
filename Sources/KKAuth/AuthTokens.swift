import Crypto
import Foundation
@_exported import KKAccessToken
import KKToken

/// The auth service's tokens: access tokens signed with ``AccessTokenSigner`` (EdDSA, Ed25519,
/// with a key id so keys can rotate; other services verify them offline with
/// ``AccessTokenVerifier``), and refresh tokens `<session uuid>.<32 random bytes, base64url>`, of
/// which only the SHA-256 of the secret part is stored.
public struct AuthTokens: Sendable {
    public let signer: AccessTokenSigner
    public let verifier: AccessTokenVerifier

    /// `seed`: the 32-byte Ed25519 private key seed (64 hex characters in configuration);
    /// `previousKeys`: public keys whose tokens stay valid during a rotation.
    public init(seed: [UInt8], keyId: String = AccessTokenSigner.defaultKeyId,
                previousKeys: [AccessPublicKey] = []) async throws(AccessKeyError) {
        signer = try await AccessTokenSigner(seed: seed, keyId: keyId)
        verifier = try await signer.verifier(others: previousKeys)
    }

    public func sign(_ claims: AccessClaims) async throws -> String { try await signer.sign(claims) }

    /// The signing key's public half as a JSON Web Key Set (RFC 8037 OKP / Ed25519), served at
    /// `GET /v1/auth/keys` for services that fetch keys rather than being configured with them.
    public var jwks: JWKS { JWKS(keys: [.init(kid: signer.publicKey.keyId, x: Base64URL.encode(signer.publicKey.raw))]) }

    public struct JWKS: Codable, Equatable, Sendable {
        public struct Key: Codable, Equatable, Sendable {
            public var kty = "OKP", crv = "Ed25519", use = "sig", alg = "EdDSA"
            public var kid: String
            public var x: String
            init(kid: String, x: String) { self.kid = kid; self.x = x }
        }
        public var keys: [Key]
    }

    /// The claims of a valid token, or nil (bad signature, expired, malformed, other issuer).
    public func verify(_ token: String) async -> AccessClaims? { await verifier.verify(token) }

    /// A new refresh token for `session` and the hash to store (OpenSSL's random bytes,
    /// base64url as the connect tokens are).
    public static func newRefreshToken(session: UUID) throws(TokenError) -> (token: String, hash: [UInt8]) {
        let text = Base64URL.encode(try secureRandomBytes(32))
        return ("\(session.uuidString.lowercased()).\(text)", hash(text))
    }

    /// Splits a refresh token into its session and the hash of its secret; nil when malformed.
    public static func parseRefreshToken(_ token: String) -> (session: UUID, hash: [UInt8])? {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let id = UUID(uuidString: String(parts[0])), parts[1].count == 43 else { return nil }
        return (id, hash(String(parts[1])))
    }

    static func hash(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }
}
