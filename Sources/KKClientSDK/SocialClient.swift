import Foundation

/// The social service's client side (blocking, like ``AuthClient``): profile, friends and their
/// presence, requests, blocks, and the presence heartbeat. Every call takes the player's
/// ``AuthSession`` (its access token; refresh it with ``AuthClient/validSession(_:now:)``).
public struct SocialClient: Sendable {
    public var baseURL: String
    public var timeoutMillis: Int

    public init(baseURL: String, timeoutMillis: Int = 5_000) {
        self.baseURL = baseURL
        self.timeoutMillis = timeoutMillis
    }

    public struct Player: Codable, Equatable, Sendable {
        public var accountId: Int64
        public var displayName: String
    }

    public struct Presence: Codable, Equatable, Sendable {
        /// offline, online, lobby or racing.
        public var state: String
        public var matchId: Int64?
    }

    public struct Friend: Codable, Equatable, Sendable {
        public var accountId: Int64
        public var displayName: String
        public var presence: Presence
    }

    public struct FriendList: Codable, Equatable, Sendable {
        public var friends: [Friend]
        public var incoming: [Player]
        public var outgoing: [Player]
    }

    /// What asking someone did.
    public enum RequestOutcome: String, Sendable { case requested, friends }

    struct Target: Encodable { var accountId: Int64 }
    struct Status: Decodable { var status: String }
    struct PresenceBody: Encodable { var state: String; var matchId: Int64? }
    struct Players: Decodable { var players: [Player] }
    struct Empty: Encodable {}

    public func setDisplayName(_ s: AuthSession, _ name: String) throws(AuthClientError) {
        _ = try call("PUT", "/v1/social/profile", ["displayName": name], s)
    }

    public func search(_ s: AuthSession, prefix: String) throws(AuthClientError) -> [Player] {
        let q = prefix.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try decode(Players.self, try call("GET", "/v1/social/players?name=\(q)", Empty?.none, s)).players
    }

    public func friends(_ s: AuthSession) throws(AuthClientError) -> FriendList {
        try decode(FriendList.self, try call("GET", "/v1/social/friends", Empty?.none, s))
    }

    /// The same list as the service's JSON text (for the C ABI).
    public func friendsJSON(_ s: AuthSession) throws(AuthClientError) -> [UInt8] {
        try call("GET", "/v1/social/friends", Empty?.none, s)
    }

    public func requestFriend(_ s: AuthSession, _ accountId: Int64) throws(AuthClientError) -> RequestOutcome {
        let status = try decode(Status.self, try call("POST", "/v1/social/friends/requests", Target(accountId: accountId), s))
        return RequestOutcome(rawValue: status.status) ?? .requested
    }

    public func accept(_ s: AuthSession, from accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/friends/requests/\(accountId)/accept", Empty?.none, s)
    }

    public func decline(_ s: AuthSession, from accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/friends/requests/\(accountId)/decline", Empty?.none, s)
    }

    public func cancel(_ s: AuthSession, to accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/friends/requests/\(accountId)/cancel", Empty?.none, s)
    }

    public func unfriend(_ s: AuthSession, _ accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/friends/\(accountId)/remove", Empty?.none, s)
    }

    public func block(_ s: AuthSession, _ accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/blocks", Target(accountId: accountId), s)
    }

    public func unblock(_ s: AuthSession, _ accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/blocks/\(accountId)/remove", Empty?.none, s)
    }

    /// A party (at most 8, one per player): members oldest first, the leader among them.
    public struct Party: Codable, Equatable, Sendable {
        public var partyId: Int64
        public var leader: Int64
        public var members: [Player]
        public var invited: [Player]
    }

    public struct PartyInvitation: Codable, Equatable, Sendable {
        public var partyId: Int64
        public var leader: Int64
    }

    public struct PartyView: Codable, Equatable, Sendable {
        public var party: Party?
        public var invitations: [PartyInvitation]
    }

    struct Created: Decodable { var partyId: Int64 }
    struct TicketBody: Decodable { var ticket: String }

    /// Creates a party led by the caller; returns its id.
    public func createParty(_ s: AuthSession) throws(AuthClientError) -> Int64 {
        try decode(Created.self, try call("POST", "/v1/social/party", Empty?.none, s)).partyId
    }

    public func party(_ s: AuthSession) throws(AuthClientError) -> PartyView {
        try decode(PartyView.self, try call("GET", "/v1/social/party", Empty?.none, s))
    }

    public func inviteToParty(_ s: AuthSession, _ accountId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/party/invite", Target(accountId: accountId), s)
    }

    public func joinParty(_ s: AuthSession, _ partyId: Int64) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/party/\(partyId)/join", Empty?.none, s)
    }

    public func leaveParty(_ s: AuthSession) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/party/leave", Empty?.none, s)
    }

    /// The leader's party ticket (60 s) for ``MatchService/requestMatch(baseURL:player:accessToken:party:timeoutMillis:)``.
    public func partyTicket(_ s: AuthSession) throws(AuthClientError) -> String {
        try decode(TicketBody.self, try call("POST", "/v1/social/party/ticket", Empty?.none, s)).ticket
    }

    /// The heartbeat: online, lobby, or racing with the match (the shards also report racing).
    public func setPresence(_ s: AuthSession, state: String, matchId: Int64? = nil) throws(AuthClientError) {
        _ = try call("POST", "/v1/social/presence", PresenceBody(state: state, matchId: matchId), s)
    }

    private func call(_ method: String, _ path: String, _ body: (some Encodable)?, _ s: AuthSession) throws(AuthClientError) -> [UInt8] {
        try ServiceCall.run(baseURL: baseURL, method, path, body: body, bearer: s.accessToken, timeoutMillis: timeoutMillis)
    }
}
