import Foundation
import JWTKit

/// The claims of an access token: the account (`sub`), the session (`sid`), issuer and expiry.
/// Issued by the auth service, verified offline by every other service with its public key.
/// (A ``PartyTicketClaims`` signed by the same key has no `sid`, so it never decodes as one.)
public struct AccessClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var sid: String
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public static let issuer = "kartklash-auth"

    public init(account: Int64, session: UUID, issuedAt: Date, lifetimeSeconds: Int) {
        sub = .init(value: String(account))
        sid = session.uuidString.lowercased()
        iss = .init(value: Self.issuer)
        iat = .init(value: issuedAt)
        exp = .init(value: issuedAt.addingTimeInterval(TimeInterval(lifetimeSeconds)))
    }

    /// The account id: a positive integer (nil when the subject is anything else).
    public var accountId: Int64? { Int64(sub.value).flatMap { $0 > 0 ? $0 : nil } }
    public var sessionId: UUID? { UUID(uuidString: sid) }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == Self.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "issuer") }
    }
}
