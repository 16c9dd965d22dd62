import KKAccessToken

/// Turns a match request into a player id.
///
/// ``BearerAuthenticator`` (the default of kk-match) verifies the `Authorization: Bearer`
/// access token of the auth service offline and plays the account; ``DevAuthenticator`` trusts
/// the request (development login, only behind kk-match's `--dev-auth`, for load tests).
public protocol Authenticator: Sendable {
    /// Returns the player id (never 0) or throws ``MatchError/unauthorized`` /
    /// ``MatchError/badRequest(_:)``.
    func playerId(player: String?, authorization: String?) async throws(MatchError) -> UInt64
    /// The members of the party ticket `ticket` (the leader, `leader`, first) and the ticket's
    /// id, or throws ``MatchError/badRequest(_:)`` / ``MatchError/unauthorized``.
    func partyMembers(ticket: String, leader: UInt64) async throws(MatchError) -> (members: [UInt64], ticketId: String)
}

extension Authenticator {
    public func partyMembers(ticket: String, leader: UInt64) async throws(MatchError) -> (members: [UInt64], ticketId: String) {
        throw .badRequest("parties need account logins (the match service runs with --dev-auth)")
    }
}

/// Real login: the request's bearer access token (issued by the auth service, checked against
/// its public keys: signature, issuer, expiry) names the account, and the account id is the
/// player id of the connect token. The body's `player` field is ignored.
public struct BearerAuthenticator: Authenticator {
    public let verifier: AccessTokenVerifier

    public init(verifier: AccessTokenVerifier) { self.verifier = verifier }

    public func playerId(player: String?, authorization: String?) async throws(MatchError) -> UInt64 {
        guard let claims = await verifier.verify(authorization: authorization), let account = claims.accountId else {
            throw .unauthorized
        }
        return UInt64(account)
    }

    /// A party ticket of the social service whose leader is the caller.
    public func partyMembers(ticket: String, leader: UInt64) async throws(MatchError) -> (members: [UInt64], ticketId: String) {
        guard let claims = await verifier.verifyPartyTicket(ticket) else { throw .badRequest("the party ticket is invalid or expired") }
        guard claims.leader.map(UInt64.init) == leader else { throw .unauthorized }
        guard (1...64).contains(claims.jti.value.utf8.count) else { throw .badRequest("the party ticket has no id") }
        return (claims.members.map { UInt64($0) }, claims.jti.value)
    }
}

/// Development login: anyone may play as anyone. `player` is either a decimal id (1 ...
/// UInt64.max, used as is) or a name (1 to 64 characters) hashed to a stable id with FNV-1a 64,
/// the same in every process and run (Swift's `Hasher` is seeded per process, so unusable here).
public struct DevAuthenticator: Authenticator {
    public static let maxNameLength = 64

    public init() {}

    public func playerId(player: String?, authorization: String?) throws(MatchError) -> UInt64 {
        guard let player, !player.isEmpty else { throw .badRequest("missing \"player\"") }
        guard player.count <= Self.maxNameLength else { throw .badRequest("\"player\" longer than \(Self.maxNameLength)") }
        if player.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            guard let id = UInt64(player), id != 0 else { throw .badRequest("player id out of range") }
            return id
        }
        return Self.stableId(name: player)
    }

    /// FNV-1a 64 of the UTF-8 name; 0 is mapped to 1 (0 means "free slot" in snapshots).
    public static func stableId(name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h == 0 ? 1 : h
    }
}
