import Crypto
import Foundation
import JWTKit
import KKToken

/// The claims of an access token: the account (`sub`), the session (`sid`), issuer and expiry.
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var sid: String
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public static let issuer = "kartklash-auth"

    public var accountId: Int64? { Int64(sub.value) }
    public var sessionId: UUID? { UUID(uuidString: sid) }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "issuer") }
    }
}

/// Signs and verifies access tokens (EdDSA, Ed25519, with a key id so keys can rotate) and makes
/// refresh tokens: `<session uuid>.<32 random bytes, base64url>`, of which only the SHA-256 of
/// the secret part is stored.
public struct AuthTokens: Sendable {
    public static let keyId = "auth-1"
    let keys: JWTKeyCollection

    /// `seed`: the 32-byte Ed25519 private key seed (64 hex characters in configuration).
    public init(seed: [UInt8]) async throws {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: Self.keyId))
    }

    public func sign(_ claims: AccessClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: Self.keyId))
    }

    /// The claims of a valid token, or nil (bad signature, expired, malformed, other issuer).
    public func verify(_ token: String) async -> AccessClaims? {
        try? await keys.verify(token, as: AccessClaims.self)
    }

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
