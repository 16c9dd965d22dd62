import KKRedis
import KKToken

/// Why a player got no match. Each case maps to one HTTP status and one metrics label.
public enum MatchError: Error, Equatable, Sendable {
    /// No live, non-draining shard has room for a new match (HTTP 503).
    case noShardAvailable
    /// Redis is disconnected, or the connection dropped before the reply (HTTP 503).
    case redisUnavailable(RedisError)
    /// The bridge's request queue is full (HTTP 503).
    case overloaded
    /// The service is shutting down (HTTP 503).
    case shuttingDown
    /// The request was malformed: no player, bad JSON (HTTP 400).
    case badRequest(String)
    /// The authenticator refused the player (HTTP 401).
    case unauthorized
    /// Redis answered something the allocator does not understand (HTTP 500).
    case unexpectedReply(String)
    /// The token could not be sealed (HTTP 500).
    case tokenFailure(TokenError)
    /// A party member already sits in another live match (HTTP 409).
    case partyBusy
    /// The party ticket was used already: each is good for one request (HTTP 409).
    case ticketUsed

    /// A short, stable label for metrics (`result` dimension).
    public var metricLabel: String {
        switch self {
        case .noShardAvailable: "no_shard"
        case .redisUnavailable: "redis_unavailable"
        case .overloaded: "overloaded"
        case .shuttingDown: "shutting_down"
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .unexpectedReply: "unexpected_reply"
        case .tokenFailure: "token_failure"
        case .partyBusy: "party_busy"
        case .ticketUsed: "ticket_used"
        }
    }

    /// Human-readable text for the JSON error body.
    public var message: String {
        switch self {
        case .noShardAvailable: "no shard available"
        case .redisUnavailable(let why): "redis unavailable: \(why.message)"
        case .overloaded: "too many pending match requests"
        case .shuttingDown: "match service shutting down"
        case .badRequest(let why): "bad request: \(why)"
        case .unauthorized: "unauthorized"
        case .unexpectedReply(let why): "unexpected redis reply: \(why)"
        case .tokenFailure(let why): "token failure: \(why.metricLabel)"
        case .partyBusy: "a party member is already in another match"
        case .ticketUsed: "this party ticket was used already: ask for a new one"
        }
    }
}

/// One player's place: the match, its owner shard and the player's slot (0-based order of arrival).
public struct Allocation: Sendable, Equatable, Codable {
    /// How the allocation came about.
    public enum Kind: String, Sendable, Codable {
        /// The player already had a live match (asked twice).
        case existing
        /// A free slot in an open match.
        case joined
        /// A new match was created on the least-loaded shard.
        case created
        /// A party's seats were reserved together (each member then gets `existing`).
        case group
    }

    public var matchId: UInt64
    public var shardId: String
    public var slot: Int
    public var kind: Kind

    public init(matchId: UInt64, shardId: String, slot: Int, kind: Kind) {
        self.matchId = matchId
        self.shardId = shardId
        self.slot = slot
        self.kind = kind
    }
}
