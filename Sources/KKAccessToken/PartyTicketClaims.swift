import Foundation
import JWTKit

/// A party ticket: the social service's statement that `members` (account ids, the leader
/// first) form party `party` led by `sub`, signed like access tokens (EdDSA, `kid`) and valid
/// for a minute. The leader hands it to the match service, which seats every member in one
/// match; `typ` keeps it from passing as an access token and the other way round.
public struct PartyTicketClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    /// The ticket's own id: the match service takes each ticket once.
    public var jti: IDClaim
    public var party: Int64
    public var members: [Int64]
    public var typ: String
    public var iss: IssuerClaim
    public var exp: ExpirationClaim

    public static let type = "party"

    public init(leader: Int64, party: Int64, members: [Int64], issuedAt: Date, lifetimeSeconds: Int = 60) {
        sub = .init(value: String(leader))
        jti = .init(value: UUID().uuidString.lowercased())
        self.party = party
        self.members = members
        typ = Self.type
        iss = .init(value: AccessClaims.issuer)
        exp = .init(value: issuedAt.addingTimeInterval(TimeInterval(lifetimeSeconds)))
    }

    public var leader: Int64? { Int64(sub.value).flatMap { $0 > 0 ? $0 : nil } }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == AccessClaims.issuer else { throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "issuer") }
        guard typ == Self.type else { throw JWTError.generic(identifier: "typ", reason: "not a party ticket") }
        guard let leader, members.first == leader, Set(members).count == members.count, members.allSatisfy({ $0 > 0 }),
              (1...16).contains(members.count) else {
            throw JWTError.generic(identifier: "members", reason: "bad member list")
        }
    }
}

extension AccessTokenVerifier {
    /// The claims of a valid party ticket, or nil.
    public func verifyPartyTicket(_ token: String) async -> PartyTicketClaims? {
        guard token.utf8.count <= 4096 else { return nil }
        return try? await keys.verify(token, as: PartyTicketClaims.self)
    }
}

extension AccessTokenSigner {
    public func sign(_ claims: PartyTicketClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: keyId))
    }
}
