import Foundation

/// The results, stats and leaderboards client side (blocking, like ``AuthClient``): a race's
/// recorded result, a player's stats, a track's board (top, around a player, or the caller's
/// friends) and ghosts to replay with ``GhostPlayer``.
public struct ResultsClient: Sendable {
    public var baseURL: String
    public var timeoutMillis: Int

    public init(baseURL: String, timeoutMillis: Int = 5_000) { self.baseURL = baseURL; self.timeoutMillis = timeoutMillis }

    /// A recorded race.
    public struct RaceRecord: Codable, Equatable, Sendable {
        public struct Entry: Codable, Equatable, Sendable {
            public var slot: Int
            public var playerId: Int64?
            public var place: Int?
            public var finishTick: Int
            public var status: String
        }
        public var matchId: Int64
        public var track: String
        public var laps: Int
        public var ticks: Int
        public var verified: Bool
        public var unverifiedReason: String?
        public var entries: [Entry]
    }

    public struct Skill: Codable, Equatable, Sendable { public var mu: Double; public var sigma: Double }

    /// A player's stats (verified races only); best race times in ticks (60 per second).
    public struct Stats: Codable, Equatable, Sendable {
        public var playerId: Int64
        public var races: Int
        public var finishes: Int
        public var wins: Int
        public var podiums: Int
        public var bestTicks: [String: Int]
        public var bestLapTicks: [String: Int]
        public var skill: Skill
        public var ordinal: Double
    }

    public struct BoardRow: Codable, Equatable, Sendable {
        public var rank: Int
        public var playerId: Int64
        public var bestTicks: Int
        public var matchId: Int64
    }

    public struct Board: Codable, Equatable, Sendable {
        public var track: String
        public var season: Int
        public var rows: [BoardRow]
    }

    /// Which rows of a board.
    public enum Scope: Sendable, Equatable {
        case top
        /// The player's rank with `limit` rows on each side.
        case around(Int64)
        /// The caller and their friends (needs the session).
        case friends
    }

    /// A best time's race: replay `log` following kart `slot` (``GhostPlayer``).
    public struct Ghost: Codable, Equatable, Sendable {
        public var track: String
        public var season: Int
        public var playerId: Int64
        public var matchId: Int64
        public var slot: Int
        public var bestTicks: Int
        public var log: String
    }

    struct Empty: Encodable {}

    public func result(matchId: Int64) throws(AuthClientError) -> RaceRecord {
        try decode(RaceRecord.self, try get("/v1/results/matches/\(matchId)", nil))
    }

    public func stats(playerId: Int64) throws(AuthClientError) -> Stats {
        try decode(Stats.self, try get("/v1/results/players/\(playerId)/stats", nil))
    }

    /// The board as the service's JSON text (for the C ABI).
    public func boardJSON(track: String, scope: Scope, limit: Int = 10, session: AuthSession? = nil) throws(AuthClientError) -> [UInt8] {
        let t = track.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        switch scope {
        case .top: return try get("/v1/results/leaderboards/\(t)?limit=\(limit)", nil)
        case .around(let p): return try get("/v1/results/leaderboards/\(t)?limit=\(limit)&around=\(p)", nil)
        case .friends:
            guard let session else { throw .refused(status: 401, code: "not_logged_in") }
            return try get("/v1/results/leaderboards/\(t)/friends?limit=\(limit)", session)
        }
    }

    public func board(track: String, scope: Scope, limit: Int = 10, session: AuthSession? = nil) throws(AuthClientError) -> Board {
        try decode(Board.self, try boardJSON(track: track, scope: scope, limit: limit, session: session))
    }

    /// The ghost of the season's best time on `track`, or of `player`'s best.
    public func ghostJSON(track: String, player: Int64? = nil) throws(AuthClientError) -> [UInt8] {
        let t = track.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try get("/v1/results/leaderboards/\(t)/ghost" + (player.map { "?player=\($0)" } ?? ""), nil)
    }

    public func ghost(track: String, player: Int64? = nil) throws(AuthClientError) -> Ghost {
        try decode(Ghost.self, try ghostJSON(track: track, player: player))
    }

    func get(_ path: String, _ s: AuthSession?) throws(AuthClientError) -> [UInt8] {
        try ServiceCall.run(baseURL: baseURL, "GET", path, body: Empty?.none, bearer: s?.accessToken, timeoutMillis: timeoutMillis)
    }
}

/// The economy's client side: wallet, store catalog, inventory, purchases (blocking).
public struct StoreClient: Sendable {
    public var baseURL: String
    public var timeoutMillis: Int

    public init(baseURL: String, timeoutMillis: Int = 5_000) { self.baseURL = baseURL; self.timeoutMillis = timeoutMillis }

    public struct LedgerEntry: Codable, Equatable, Sendable {
        public var id: Int64
        public var kind: String
        public var amount: Int64
        public var balanceAfter: Int64
        public var item: String?
        public var reason: String?
    }

    public struct Wallet: Codable, Equatable, Sendable {
        public var balance: Int64
        public var recent: [LedgerEntry]
    }

    public struct Item: Codable, Equatable, Sendable {
        public var item: String
        public var kind: String
        public var name: String
        /// nil: not sold, everyone owns it.
        public var price: Int64?
    }

    public struct Receipt: Codable, Equatable, Sendable {
        public var entry: LedgerEntry
        public var balance: Int64
        public var replayed: Bool
    }

    struct Items: Decodable { var items: [Item] }
    struct Inventory: Decodable { var items: [String] }
    struct Purchase: Encodable { var item: String; var expectedPrice: Int64; var idempotencyKey: String }
    struct Empty: Encodable {}

    public func walletJSON(_ s: AuthSession) throws(AuthClientError) -> [UInt8] { try call("GET", "/v1/economy/wallet", Empty?.none, s) }
    public func wallet(_ s: AuthSession) throws(AuthClientError) -> Wallet { try decode(Wallet.self, try walletJSON(s)) }

    public func catalogJSON() throws(AuthClientError) -> [UInt8] { try call("GET", "/v1/economy/catalog", Empty?.none, nil) }
    public func catalog() throws(AuthClientError) -> [Item] { try decode(Items.self, try catalogJSON()).items }

    public func inventoryJSON(_ s: AuthSession) throws(AuthClientError) -> [UInt8] { try call("GET", "/v1/economy/inventory", Empty?.none, s) }
    public func inventory(_ s: AuthSession) throws(AuthClientError) -> [String] { try decode(Inventory.self, try inventoryJSON(s)).items }

    /// Buys `item` at the price the player was shown. `idempotencyKey`: one per purchase the
    /// player made (retry with the same key: the purchase happens once). Refusals are
    /// ``AuthClientError/refused(status:code:)`` with `stale_price`, `already_owned`,
    /// `insufficient_funds`, `unknown_item`...
    public func purchase(_ s: AuthSession, item: String, expectedPrice: Int64,
                         idempotencyKey: String = UUID().uuidString) throws(AuthClientError) -> Receipt {
        try decode(Receipt.self, try call("POST", "/v1/economy/purchases",
                                          Purchase(item: item, expectedPrice: expectedPrice, idempotencyKey: idempotencyKey), s))
    }

    func call(_ method: String, _ path: String, _ body: (some Encodable)?, _ s: AuthSession?) throws(AuthClientError) -> [UInt8] {
        try ServiceCall.run(baseURL: baseURL, method, path, body: body, bearer: s?.accessToken, timeoutMillis: timeoutMillis)
    }
}
