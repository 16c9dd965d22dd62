import Foundation
import KKPostgres
import Logging
import PostgresNIO

/// The social schema's SQL. Every call runs under a deadline (``PostgresDeadline``); the
/// changes that look at both sides of a pair (a request that meets the other's request, a block
/// that ends a friendship) run in one transaction under an advisory lock on the pair, so two
/// players acting at once cannot leave half a friendship.
public struct SocialStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration
    /// Told when a player's presence changed (state or match), with their friends' ids: the
    /// lobby pushes it to the friends' sockets. Best effort (after the change is stored).
    public var onPresenceChange: (@Sendable (_ account: Int64, _ presence: Presence, _ friends: [Int64]) async -> Void)?

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(3)) {
        self.client = client; self.logger = logger; self.deadline = deadline
    }

    /// A player as others see them.
    public struct Player: Codable, Equatable, Sendable {
        public var accountId: Int64
        public var displayName: String
    }

    /// Presence: offline / online / in a lobby / racing (with the match).
    public struct Presence: Codable, Equatable, Sendable {
        public var state: String
        public var matchId: Int64?
    }

    /// A friend with their presence.
    public struct Friend: Codable, Equatable, Sendable {
        public var accountId: Int64
        public var displayName: String
        public var presence: Presence
    }

    /// Presence older than this is offline (a client's heartbeat).
    public static let presenceSeconds = 90
    /// Racing presence (from the shards) lasts until the match's end, or this long: the longest
    /// race (10 min) plus its grace.
    public static let racingPresenceSeconds = 720

    func timed<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(PostgresStoreError) -> T {
        try await PostgresDeadline.run(deadline, body)
    }

    /// Sets the caller's display name; false when another player has it (any case).
    public func setProfile(account: Int64, name: String) async throws(PostgresStoreError) -> Bool {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> Bool in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(lower(\(name))))", logger: logger)
                for try await _ in try await conn.query(
                    "SELECT account_id FROM social.profiles WHERE lower(display_name) = lower(\(name)) AND account_id <> \(account)",
                    logger: logger).decode(Int64.self) { return false }
                try await conn.query("""
                    INSERT INTO social.profiles (account_id, display_name) VALUES (\(account), \(name))
                    ON CONFLICT (account_id) DO UPDATE SET display_name = EXCLUDED.display_name
                    """, logger: logger)
                return true
            }
        }
    }

    /// `target`'s profile as `viewer` sees it: nil when there is none or `target` blocked `viewer`.
    public func profile(_ target: Int64, viewer: Int64) async throws(PostgresStoreError) -> Player? {
        try await timed { [client, logger] in
            for try await (id, name) in try await client.query("""
                SELECT p.account_id, p.display_name FROM social.profiles p
                WHERE p.account_id = \(target)
                  AND NOT EXISTS (SELECT 1 FROM social.blocks b WHERE b.blocker = \(target) AND b.blocked = \(viewer))
                """, logger: logger).decode((Int64, String).self) { return Player(accountId: id, displayName: name) }
            return nil
        }
    }

    /// Players whose name starts with `prefix` (any case), at most 20, without those who blocked `viewer`.
    public func search(prefix: String, viewer: Int64) async throws(PostgresStoreError) -> [Player] {
        let pattern = prefix.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await timed { [client, logger] in
            var out: [Player] = []
            for try await (id, name) in try await client.query("""
                SELECT p.account_id, p.display_name FROM social.profiles p
                WHERE lower(p.display_name) LIKE \(pattern) AND p.account_id <> \(viewer)
                  AND NOT EXISTS (SELECT 1 FROM social.blocks b WHERE b.blocker = p.account_id AND b.blocked = \(viewer))
                ORDER BY lower(p.display_name) LIMIT 20
                """, logger: logger).decode((Int64, String).self) { out.append(Player(accountId: id, displayName: name)) }
            return out
        }
    }

    /// What a friend request did.
    public enum RequestResult: Equatable, Sendable {
        case requested
        /// The other had asked too: now friends.
        case becameFriends
        /// No such player, or they blocked the caller.
        case unknown
        case alreadyFriends
        case alreadyRequested
        /// The caller blocked them.
        case blockedByYou
    }

    public func requestFriend(from: Int64, to: Int64) async throws(PostgresStoreError) -> RequestResult {
        try await pairTransaction(from, to) { conn, logger in
            func exists(_ q: PostgresQuery) async throws -> Bool {
                for try await _ in try await conn.query(q, logger: logger).decode(Int.self) { return true }
                return false
            }
            guard try await exists("SELECT 1 FROM social.profiles WHERE account_id = \(to)"),
                  !(try await exists("SELECT 1 FROM social.blocks WHERE blocker = \(to) AND blocked = \(from)")) else { return .unknown }
            if try await exists("SELECT 1 FROM social.blocks WHERE blocker = \(from) AND blocked = \(to)") { return .blockedByYou }
            let (a, b) = (min(from, to), max(from, to))
            if try await exists("SELECT 1 FROM social.friendships WHERE a = \(a) AND b = \(b)") { return .alreadyFriends }
            if try await exists("SELECT 1 FROM social.friend_requests WHERE from_account = \(from) AND to_account = \(to)") {
                return .alreadyRequested
            }
            if try await exists("SELECT 1 FROM social.friend_requests WHERE from_account = \(to) AND to_account = \(from)") {
                try await conn.query("DELETE FROM social.friend_requests WHERE from_account = \(to) AND to_account = \(from)", logger: logger)
                try await conn.query("INSERT INTO social.friendships (a, b) VALUES (\(a), \(b))", logger: logger)
                return .becameFriends
            }
            try await conn.query("INSERT INTO social.friend_requests (from_account, to_account) VALUES (\(from), \(to))", logger: logger)
            return .requested
        }
    }

    /// Accepts `from`'s request to `me`: false when there is none.
    public func accept(me: Int64, from: Int64) async throws(PostgresStoreError) -> Bool {
        try await pairTransaction(me, from) { conn, logger in
            var had = false
            for try await _ in try await conn.query(
                "DELETE FROM social.friend_requests WHERE from_account = \(from) AND to_account = \(me) RETURNING 1",
                logger: logger).decode(Int.self) { had = true }
            guard had else { return false }
            try await conn.query("INSERT INTO social.friendships (a, b) VALUES (\(min(me, from)), \(max(me, from))) ON CONFLICT DO NOTHING",
                                 logger: logger)
            return true
        }
    }

    /// Removes the request `from` -> `to`: false when there is none (decline and cancel).
    public func dropRequest(from: Int64, to: Int64) async throws(PostgresStoreError) -> Bool {
        try await deleted("DELETE FROM social.friend_requests WHERE from_account = \(from) AND to_account = \(to) RETURNING 1")
    }

    /// Ends a friendship: false when there is none.
    public func unfriend(_ x: Int64, _ y: Int64) async throws(PostgresStoreError) -> Bool {
        try await deleted("DELETE FROM social.friendships WHERE a = \(min(x, y)) AND b = \(max(x, y)) RETURNING 1")
    }

    /// Blocks `other`: ends any friendship and requests between them. False when already blocked.
    public func block(me: Int64, other: Int64) async throws(PostgresStoreError) -> Bool {
        try await pairTransaction(me, other) { conn, logger in
            var added = false
            for try await _ in try await conn.query(
                "INSERT INTO social.blocks (blocker, blocked) VALUES (\(me), \(other)) ON CONFLICT DO NOTHING RETURNING 1",
                logger: logger).decode(Int.self) { added = true }
            try await conn.query("DELETE FROM social.friendships WHERE a = \(min(me, other)) AND b = \(max(me, other))", logger: logger)
            try await conn.query("""
                DELETE FROM social.friend_requests
                WHERE (from_account = \(me) AND to_account = \(other)) OR (from_account = \(other) AND to_account = \(me))
                """, logger: logger)
            return added
        }
    }

    public func unblock(me: Int64, other: Int64) async throws(PostgresStoreError) -> Bool {
        try await deleted("DELETE FROM social.blocks WHERE blocker = \(me) AND blocked = \(other) RETURNING 1")
    }

    /// Who `me` blocked.
    public func blocks(me: Int64) async throws(PostgresStoreError) -> [Int64] {
        try await timed { [client, logger] in
            var out: [Int64] = []
            for try await id in try await client.query("SELECT blocked FROM social.blocks WHERE blocker = \(me) ORDER BY blocked",
                                                       logger: logger).decode(Int64.self) { out.append(id) }
            return out
        }
    }

    /// Friends with presence, and pending requests both ways.
    public func friends(me: Int64) async throws(PostgresStoreError) -> (friends: [Friend], incoming: [Player], outgoing: [Player]) {
        let window = Self.presenceSeconds, racingWindow = Self.racingPresenceSeconds
        return try await timed { [client, logger] in
            var friends: [Friend] = []
            for try await (id, name, state, match) in try await client.query("""
                SELECT f.id, coalesce(p.display_name, ''),
                       CASE WHEN pr.updated_at > now() - make_interval(secs => CASE WHEN pr.state = 'racing' THEN \(racingWindow) ELSE \(window) END)
                            THEN pr.state ELSE 'offline' END,
                       CASE WHEN pr.updated_at > now() - make_interval(secs => CASE WHEN pr.state = 'racing' THEN \(racingWindow) ELSE \(window) END)
                            THEN pr.match_id END
                FROM (SELECT CASE WHEN a = \(me) THEN b ELSE a END AS id FROM social.friendships WHERE a = \(me) OR b = \(me)) f
                LEFT JOIN social.profiles p ON p.account_id = f.id
                LEFT JOIN social.presence pr ON pr.account_id = f.id
                ORDER BY lower(coalesce(p.display_name, '')), f.id
                """, logger: logger).decode((Int64, String, String, Int64?).self) {
                friends.append(Friend(accountId: id, displayName: name, presence: Presence(state: state, matchId: match)))
            }
            func players(_ q: PostgresQuery) async throws -> [Player] { try await Self.players(q, client: client, logger: logger) }
            let incoming = try await players("""
                SELECT r.from_account, coalesce(p.display_name, '') FROM social.friend_requests r
                LEFT JOIN social.profiles p ON p.account_id = r.from_account WHERE r.to_account = \(me) ORDER BY r.created_at
                """)
            let outgoing = try await players("""
                SELECT r.to_account, coalesce(p.display_name, '') FROM social.friend_requests r
                LEFT JOIN social.profiles p ON p.account_id = r.to_account WHERE r.from_account = \(me) ORDER BY r.created_at
                """)
            return (friends, incoming, outgoing)
        }
    }

    /// Records `me`'s presence now (it reads as offline after ``presenceSeconds`` without another);
    /// a change (from what friends saw: an expired presence was offline) is reported to
    /// ``onPresenceChange``.
    public func setPresence(me: Int64, state: String, matchId: Int64?) async throws(PostgresStoreError) {
        let window = Self.presenceSeconds, racingWindow = Self.racingPresenceSeconds
        let changed = try await timed { [client, logger] () -> Bool in
            // The CTE reads the row as it was before this statement (its snapshot).
            for try await (oldState, oldMatch) in try await client.query("""
                WITH old AS (
                  SELECT CASE WHEN updated_at > now() - make_interval(secs => CASE WHEN state = 'racing' THEN \(racingWindow) ELSE \(window) END)
                              THEN state ELSE 'offline' END AS state, match_id FROM social.presence WHERE account_id = \(me))
                INSERT INTO social.presence (account_id, state, match_id, updated_at) VALUES (\(me), \(state), \(matchId), now())
                ON CONFLICT (account_id) DO UPDATE SET state = EXCLUDED.state, match_id = EXCLUDED.match_id, updated_at = now()
                RETURNING coalesce((SELECT state FROM old), 'offline'), (SELECT match_id FROM old)
                """, logger: logger).decode((String, Int64?).self) {
                return oldState != state || oldMatch != matchId
            }
            return false
        }
        if changed { await presenceChanged([me], Presence(state: state, matchId: matchId)) }
    }

    /// The match ended: its racing players are online (for a heartbeat's while).
    public func matchOver(_ matchId: Int64) async throws(PostgresStoreError) {
        let players = try await timed { [client, logger] () -> [Int64] in
            var out: [Int64] = []
            for try await id in try await client.query(
                "UPDATE social.presence SET state = 'online', match_id = NULL, updated_at = now() WHERE state = 'racing' AND match_id = \(matchId) RETURNING account_id",
                logger: logger).decode(Int64.self) { out.append(id) }
            return out
        }
        await presenceChanged(players, Presence(state: "online", matchId: nil))
    }

    /// Tells ``onPresenceChange`` about each player's new presence, with their friends.
    func presenceChanged(_ players: [Int64], _ presence: Presence) async {
        guard let listener = onPresenceChange else { return }
        for p in players {
            guard let friends = try? await friendIds(of: p), !friends.isEmpty else { continue }
            await listener(p, presence, friends)
        }
    }

    /// The ids of `me`'s friends.
    public func friendIds(of me: Int64) async throws(PostgresStoreError) -> [Int64] {
        try await timed { [client, logger] in
            var out: [Int64] = []
            for try await id in try await client.query(
                "SELECT CASE WHEN a = \(me) THEN b ELSE a END FROM social.friendships WHERE a = \(me) OR b = \(me)",
                logger: logger).decode(Int64.self) { out.append(id) }
            return out
        }
    }

    /// The (account, display name) rows of `q` as players.
    static func players(_ q: PostgresQuery, client: PostgresClient, logger: Logger) async throws -> [Player] {
        var out: [Player] = []
        for try await (id, name) in try await client.query(q, logger: logger).decode((Int64, String).self) {
            out.append(Player(accountId: id, displayName: name))
        }
        return out
    }

    private func deleted(_ q: PostgresQuery) async throws(PostgresStoreError) -> Bool {
        try await timed { [client, logger] in
            for try await _ in try await client.query(q, logger: logger).decode(Int.self) { return true }
            return false
        }
    }

    private func pairTransaction<T: Sendable>(_ x: Int64, _ y: Int64,
                                              _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T) async throws(PostgresStoreError) -> T {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> T in
                let pair = "social:\(min(x, y)):\(max(x, y))"
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\(pair), 0))", logger: logger)
                return try await body(conn, logger)
            }
        }
    }
}
