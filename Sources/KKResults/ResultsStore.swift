import Foundation
import KKEconomy
import KKPhysics
import KKPostgres
import KKResultsCore
import Logging
import PostgresNIO

/// Race results in PostgreSQL (schema `results`). Recording is one transaction and idempotent:
/// a result whose match is recorded already changes nothing (its first report wins).
public struct ResultsStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration
    /// What a verified race pays each racer, credited to their wallets (schema `economy`) in
    /// the transaction that records the result; nil: no rewards (the economy schema is absent).
    public let rewards: RaceRewards?

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(5), rewards: RaceRewards? = nil) {
        self.client = client; self.logger = logger; self.deadline = deadline; self.rewards = rewards
    }

    /// What recording a result did.
    public enum RecordOutcome: Sendable, Equatable {
        /// The match was recorded before: nothing changed.
        case duplicate
        /// Recorded now; `ratings`: the racers' skill after a verified race of two or more.
        case recorded(ratings: [Int64: SkillRating])
    }

    /// Records a result with its verification (once per match).
    /// Throws ``PostgresStoreError/rejected(_:)`` when the database refuses the data itself (a
    /// constraint): retrying cannot help. Rows shared with other races are locked in one order
    /// (stats, times and wallets by player id, per-time counts by time), so concurrent
    /// recordings wait for each other instead of deadlocking.
    /// `bestLaps`: each kart slot's best lap as the verification timed it (verified races).
    public func record(_ r: RaceResult, verified: VerificationFailure?, bestLaps: [UInt32?] = [],
                       streamId: String) async throws(PostgresStoreError) -> RecordOutcome {
        try await PostgresDeadline.run(deadline) { [client, logger, rewards] () -> RecordOutcome in
            try await PostgresTransaction.run(client, logger: logger) { conn -> RecordOutcome in
                try await Self.record(r, verified: verified, bestLaps: bestLaps, streamId: streamId, rewards: rewards, on: conn, logger: logger)
            }
        }
    }

    static func record(_ r: RaceResult, verified: VerificationFailure?, bestLaps: [UInt32?], streamId: String, rewards: RaceRewards?,
                       on conn: PostgresConnection, logger: Logger) async throws -> RecordOutcome {
        let ok = verified == nil
        let reason = verified.map { "\($0.label): \($0)" }
        let mid = Int64(bitPattern: r.matchId), epoch = Int64(bitPattern: r.epoch)
        let laps = Int(r.laps), ticks = Int(r.ticks)
        // The season is read once, here: every row of this race goes to it even if a new season
        // starts while the transaction runs.
        var season: Int?
        for try await s in try await conn.query("""
            INSERT INTO results.matches (match_id, epoch, shard, track, laps, ticks, verified, unverified_reason, input_log, stream_id, season)
            VALUES (\(mid), \(epoch), \(r.shardId), \(r.track), \(laps), \(ticks), \(ok), \(reason), \(r.log), \(streamId),
                    (SELECT max(id) FROM results.seasons))
            ON CONFLICT (match_id) DO NOTHING RETURNING season
            """, logger: logger).decode(Int.self) { season = s }
        guard let season else { return .duplicate }
        // The entries in one statement (0 stands for none: no player, no place).
        let slots = r.entries.map { Int($0.slot) }, pids = r.entries.map { $0.playerId.map { Int64(bitPattern: $0) } ?? 0 }
        let places = r.entries.map { $0.place ?? 0 }, finish = r.entries.map { Int($0.finishTick) }, statuses = r.entries.map(\.status)
        try await conn.query("""
            INSERT INTO results.entries (match_id, slot, player_id, place, finish_tick, status)
            SELECT \(mid), s, NULLIF(p, 0), NULLIF(pl, 0), f, st
            FROM unnest(\(slots)::int[], \(pids)::bigint[], \(places)::int[], \(finish)::int[], \(statuses)::text[]) AS u(s, p, pl, f, st)
            """, logger: logger)
        // Stats, boards, rewards and ratings count verified races only, in this transaction (once).
        guard ok else { return .recorded(ratings: [:]) }
        let rated = r.entries.compactMap { e in e.playerId.map { (Int64(bitPattern: $0), e) } }.sorted { $0.0 < $1.0 }
        let ids = rated.map(\.0)
        let fin = rated.map { $0.1.place != nil ? 1 : 0 }, wins = rated.map { $0.1.place == 1 ? 1 : 0 }
        let pods = rated.map { ($0.1.place ?? 99) <= 3 ? 1 : 0 }
        try await conn.query("""
            INSERT INTO results.player_stats (player_id, races, finishes, wins, podiums)
            SELECT p, 1, f, w, po FROM unnest(\(ids)::bigint[], \(fin)::int[], \(wins)::int[], \(pods)::int[]) AS u(p, f, w, po) ORDER BY p
            ON CONFLICT (player_id) DO UPDATE SET races = results.player_stats.races + 1,
                finishes = results.player_stats.finishes + EXCLUDED.finishes, wins = results.player_stats.wins + EXCLUDED.wins,
                podiums = results.player_stats.podiums + EXCLUDED.podiums, updated_at = now()
            """, logger: logger)
        let countdown = Int(RaceRules(laps: r.laps).countdownTicks)
        var counts: [Int: Int] = [:]
        for (pid, e) in rated {
            let raceTicks = Int(e.finishTick) - countdown
            guard e.place != nil, raceTicks > 0 else { continue }
            try await recordTime(conn, season: season, track: r.track, player: pid, ticks: raceTicks, match: mid, counts: &counts, logger: logger)
        }
        for (t, delta) in counts.sorted(by: { $0.key < $1.key }) where delta != 0 {
            if delta < 0 {  // an old best that exists (an INSERT of a negative row would fail its CHECK)
                try await conn.query("""
                    UPDATE results.track_time_counts SET n = n + \(delta)
                    WHERE season = \(season) AND track = \(r.track) AND best_ticks = \(t)
                    """, logger: logger)
            } else {
                try await conn.query("""
                    INSERT INTO results.track_time_counts (season, track, best_ticks, n) VALUES (\(season), \(r.track), \(t), \(delta))
                    ON CONFLICT (season, track, best_ticks) DO UPDATE SET n = results.track_time_counts.n + EXCLUDED.n
                    """, logger: logger)
            }
        }
        // Best laps (timed by the verification's replay), players in id order.
        let lapped = rated.compactMap { (pid, e) -> (Int64, Int)? in
            guard e.slot < bestLaps.count, let t = bestLaps[e.slot], t > 0 else { return nil }
            return (pid, Int(t))
        }
        if !lapped.isEmpty {
            try await conn.query("""
                INSERT INTO results.best_laps (season, track, player_id, best_lap_ticks, match_id)
                SELECT \(season), \(r.track), p, t, \(mid)
                FROM unnest(\(lapped.map(\.0))::bigint[], \(lapped.map(\.1))::int[]) AS u(p, t) ORDER BY p
                ON CONFLICT (season, track, player_id) DO UPDATE SET best_lap_ticks = EXCLUDED.best_lap_ticks, match_id = EXCLUDED.match_id
                    WHERE EXCLUDED.best_lap_ticks < results.best_laps.best_lap_ticks
                """, logger: logger)
        }
        // Rewards: once per match and player (the ledger's idempotency key), wallets locked in id order.
        if let rewards {
            let credits = rated.filter { $0.0 > 0 }.map { (pid, e) in
                EconomyStore.Credit(account: pid, amount: rewards.amount(place: e.place), key: RaceRewards.key(matchId: mid, playerId: pid),
                                    reason: "match \(mid) on \(r.track): " + (e.place.map { "place \($0)" } ?? "did not finish"))
            }
            try await EconomyStore.creditMany(on: conn, credits, kind: "reward", logger: logger)
        }
        // Skill: one Plackett-Luce update of everyone in the race (rows locked in id order).
        guard rated.count >= 2 else { return .recorded(ratings: [:]) }
        // Rows for new players first (a row that does not exist cannot be locked: two races of a
        // new player at once would both start from the default), then all locked in id order.
        let fresh = SkillRating()
        try await conn.query("""
            INSERT INTO results.ratings (player_id, mu, sigma, rated_races)
            SELECT p, \(fresh.mu), \(fresh.sigma), 0 FROM unnest(\(ids)::bigint[]) AS u(p) ORDER BY p ON CONFLICT DO NOTHING
            """, logger: logger)
        var before: [Int64: SkillRating] = [:]
        for try await (pid, mu, sigma) in try await conn.query("""
            SELECT player_id, mu, sigma FROM results.ratings WHERE player_id = ANY(\(ids)) ORDER BY player_id FOR UPDATE
            """, logger: logger).decode((Int64, Double, Double).self) { before[pid] = SkillRating(mu: mu, sigma: sigma) }
        let last = (rated.compactMap { $0.1.place }.max() ?? 0) + 1
        let after = PlackettLuce().rate(ids.map { before[$0] ?? SkillRating() }, places: rated.map { $0.1.place ?? last })
        try await conn.query("""
            UPDATE results.ratings r SET mu = u.m, sigma = u.s, rated_races = r.rated_races + 1, updated_at = now()
            FROM unnest(\(ids)::bigint[], \(after.map(\.mu))::float8[], \(after.map(\.sigma))::float8[]) AS u(p, m, s)
            WHERE r.player_id = u.p
            """, logger: logger)
        return .recorded(ratings: Dictionary(uniqueKeysWithValues: zip(ids, after)))
    }

    /// A player's time on the season's board, kept when it is their best; the board's per-time
    /// counts to move are added to `counts` (time -> delta; the caller applies them in time
    /// order). A first time is inserted without looking first (a row that does not exist yet
    /// cannot be locked: two races of the player recorded at once would both see none); a later
    /// one locks the row, then replaces it only when faster.
    static func recordTime(_ conn: PostgresConnection, season: Int, track: String, player: Int64, ticks: Int, match: Int64,
                           counts: inout [Int: Int], logger: Logger) async throws {
        var first = false
        for try await _ in try await conn.query("""
            INSERT INTO results.track_times (season, track, player_id, best_ticks, match_id) VALUES (\(season), \(track), \(player), \(ticks), \(match))
            ON CONFLICT (season, track, player_id) DO NOTHING RETURNING player_id
            """, logger: logger).decode(Int64.self) { first = true }
        if first {
            counts[ticks, default: 0] += 1
            return
        }
        var old: Int?
        for try await t in try await conn.query("""
            SELECT best_ticks FROM results.track_times WHERE season = \(season) AND track = \(track) AND player_id = \(player) FOR UPDATE
            """, logger: logger).decode(Int.self) { old = t }
        guard let old, ticks < old else { return }
        try await conn.query("""
            UPDATE results.track_times SET best_ticks = \(ticks), match_id = \(match), set_at = now()
            WHERE season = \(season) AND track = \(track) AND player_id = \(player)
            """, logger: logger)
        counts[old, default: 0] -= 1
        counts[ticks, default: 0] += 1
    }

    /// A player's skill rating (the default for a player without a rated race).
    public func rating(playerId: Int64) async throws(PostgresStoreError) -> (rating: SkillRating, races: Int) {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> (SkillRating, Int) in
            for try await (mu, sigma, races) in try await client.query(
                "SELECT mu, sigma, rated_races FROM results.ratings WHERE player_id = \(playerId)",
                logger: logger).decode((Double, Double, Int).self) { return (SkillRating(mu: mu, sigma: sigma), races) }
            return (SkillRating(), 0)
        }
    }

    /// A recorded result: the match and its entries.
    public struct Recorded: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            public var slot: Int
            public var playerId: Int64?
            public var place: Int?
            public var finishTick: Int
            public var status: String
        }
        public var matchId: Int64
        public var epoch: Int64
        public var track: String
        public var laps: Int
        public var ticks: Int
        public var verified: Bool
        public var unverifiedReason: String?
        public var entries: [Entry]
    }

    public func result(matchId: Int64) async throws(PostgresStoreError) -> Recorded? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> Recorded? in
            var out: Recorded?
            for try await (mid, epoch, track, laps, ticks, verified, reason) in try await client.query("""
                SELECT match_id, epoch, track, laps, ticks, verified, unverified_reason FROM results.matches WHERE match_id = \(matchId)
                """, logger: logger).decode((Int64, Int64, String, Int, Int, Bool, String?).self) {
                out = Recorded(matchId: mid, epoch: epoch, track: track, laps: laps, ticks: ticks, verified: verified, unverifiedReason: reason,
                               entries: [])
            }
            guard var r = out else { return nil }
            for try await (slot, pid, place, tick, status) in try await client.query("""
                SELECT slot, player_id, place, finish_tick, status FROM results.entries WHERE match_id = \(matchId) ORDER BY slot
                """, logger: logger).decode((Int, Int64?, Int?, Int, String).self) {
                r.entries.append(.init(slot: slot, playerId: pid, place: place, finishTick: tick, status: status))
            }
            return r
        }
    }

    /// A player's stats (zeros for a player without a verified race).
    public struct PlayerStats: Codable, Sendable, Equatable {
        public var playerId: Int64
        public var races = 0, finishes = 0, wins = 0, podiums = 0
        /// Best race time per track this season, in ticks (60 per second).
        public var bestTicks: [String: Int] = [:]
        /// Best lap per track this season, in ticks.
        public var bestLapTicks: [String: Int] = [:]
        /// Skill (Weng-Lin): mean, uncertainty and the conservative ordinal (mu - 3 sigma).
        public var skill = SkillRating()
        public var ordinal: Double = SkillRating().ordinal
    }

    public func stats(playerId: Int64) async throws(PostgresStoreError) -> PlayerStats {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> PlayerStats in
            var s = PlayerStats(playerId: playerId)
            for try await (races, finishes, wins, podiums) in try await client.query(
                "SELECT races, finishes, wins, podiums FROM results.player_stats WHERE player_id = \(playerId)",
                logger: logger).decode((Int, Int, Int, Int).self) {
                s.races = races; s.finishes = finishes; s.wins = wins; s.podiums = podiums
            }
            for try await (track, ticks) in try await client.query("""
                SELECT track, best_ticks FROM results.track_times WHERE player_id = \(playerId)
                AND season = (SELECT max(id) FROM results.seasons)
                """, logger: logger).decode((String, Int).self) { s.bestTicks[track] = ticks }
            for try await (track, ticks) in try await client.query("""
                SELECT track, best_lap_ticks FROM results.best_laps WHERE player_id = \(playerId)
                AND season = (SELECT max(id) FROM results.seasons)
                """, logger: logger).decode((String, Int).self) { s.bestLapTicks[track] = ticks }
            for try await (mu, sigma) in try await client.query("SELECT mu, sigma FROM results.ratings WHERE player_id = \(playerId)",
                                                                logger: logger).decode((Double, Double).self) {
                s.skill = SkillRating(mu: mu, sigma: sigma)
                s.ordinal = s.skill.ordinal
            }
            return s
        }
    }

    /// One leaderboard row.
    public struct BoardRow: Codable, Sendable, Equatable {
        public var rank: Int
        public var playerId: Int64
        public var bestTicks: Int
        public var matchId: Int64
    }

    /// The season's best times on `track`: the top `limit`, or (with `around`) that player's rank
    /// with `limit` rows on each side. `season` nil: the current one.
    /// With `friendsOf`, the board of that player and their friends (schema `social`), ranked
    /// among themselves: the top `limit` (`around` is not used).
    public func leaderboard(track: String, season: Int?, limit: Int, around: Int64?,
                            friendsOf: Int64? = nil) async throws(PostgresStoreError) -> (season: Int, rows: [BoardRow]) {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> (Int, [BoardRow]) in
            var current = 1
            if let season { current = season } else {
                for try await id in try await client.query("SELECT max(id) FROM results.seasons", logger: logger).decode(Int.self) { current = id }
            }
            var rows: [BoardRow] = []
            if let me = friendsOf {
                // Friendships are the social service's (same database); without its schema a
                // player has no friends and the board is theirs alone.
                var social = false
                for try await ok in try await client.query("SELECT to_regclass('social.friendships') IS NOT NULL",
                                                           logger: logger).decode(Bool.self) { social = ok }
                let friends = social ? """
                    SELECT b FROM social.friendships WHERE a = $1 UNION SELECT a FROM social.friendships WHERE b = $1
                    """ : "SELECT $1 WHERE false"
                var binds = PostgresBindings()
                binds.append(me); binds.append(current); binds.append(track); binds.append(limit)
                var rank = 0
                for try await (pid, ticks, mid) in try await client.query(PostgresQuery(unsafeSQL: """
                    SELECT player_id, best_ticks, match_id FROM results.track_times WHERE season = $2 AND track = $3
                    AND player_id IN (SELECT $1::bigint UNION \(friends))
                    ORDER BY best_ticks, player_id LIMIT $4
                    """, binds: binds), logger: logger).decode((Int64, Int, Int64).self) {
                    rank += 1
                    rows.append(BoardRow(rank: rank, playerId: pid, bestTicks: ticks, matchId: mid))
                }
                return (current, rows)
            }
            guard let around else {
                var rank = 0
                for try await (pid, ticks, mid) in try await client.query("""
                    SELECT player_id, best_ticks, match_id FROM results.track_times WHERE season = \(current) AND track = \(track)
                    ORDER BY best_ticks, player_id LIMIT \(limit)
                    """, logger: logger).decode((Int64, Int, Int64).self) {
                    rank += 1
                    rows.append(BoardRow(rank: rank, playerId: pid, bestTicks: ticks, matchId: mid))
                }
                return (current, rows)
            }
            var mine: Int?
            for try await t in try await client.query("""
                SELECT best_ticks FROM results.track_times WHERE season = \(current) AND track = \(track) AND player_id = \(around)
                """, logger: logger).decode(Int.self) { mine = t }
            guard let mine else { return (current, []) }
            // The rank: players with a faster time (the per-time counts: a few thousand rows at
            // most), plus those with the same time and a lower id.
            var myRank = 1
            for try await n in try await client.query("""
                SELECT (SELECT coalesce(sum(n), 0)::int FROM results.track_time_counts WHERE season = \(current) AND track = \(track)
                        AND best_ticks < \(mine))
                     + (SELECT count(*)::int FROM results.track_times WHERE season = \(current) AND track = \(track)
                        AND best_ticks = \(mine) AND player_id < \(around))
                """, logger: logger).decode(Int.self) { myRank = n + 1 }
            var above: [(Int64, Int, Int64)] = []
            for try await row in try await client.query("""
                SELECT player_id, best_ticks, match_id FROM results.track_times WHERE season = \(current) AND track = \(track)
                AND (best_ticks, player_id) < (\(mine), \(around)) ORDER BY best_ticks DESC, player_id DESC LIMIT \(limit)
                """, logger: logger).decode((Int64, Int, Int64).self) { above.append(row) }
            for (i, r) in above.reversed().enumerated() {
                rows.append(BoardRow(rank: myRank - above.count + i, playerId: r.0, bestTicks: r.1, matchId: r.2))
            }
            var rank = myRank
            for try await (pid, ticks, mid) in try await client.query("""
                SELECT player_id, best_ticks, match_id FROM results.track_times WHERE season = \(current) AND track = \(track)
                AND (best_ticks, player_id) >= (\(mine), \(around)) ORDER BY best_ticks, player_id LIMIT \(limit + 1)
                """, logger: logger).decode((Int64, Int, Int64).self) {
                rows.append(BoardRow(rank: rank, playerId: pid, bestTicks: ticks, matchId: mid))
                rank += 1
            }
            return (current, rows)
        }
    }

    /// Starts a new season (the old seasons' boards stay); its id.
    public func startSeason(name: String) async throws(PostgresStoreError) -> Int {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> Int in
            for try await id in try await client.query("""
                INSERT INTO results.seasons (id, name) SELECT max(id) + 1, \(name) FROM results.seasons RETURNING id
                """, logger: logger).decode(Int.self) { return id }
            throw PostgresStoreError.unavailable("no season row returned")
        }
    }

    /// The ghost of the season's best time on `track` (or of `player`'s best): the race's
    /// input log and the kart to follow; nil when there is no such time or no log.
    public func ghost(track: String, season: Int?, player: Int64?) async throws(PostgresStoreError) -> ResultsService.Ghost? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> ResultsService.Ghost? in
            let wanted = player ?? 0
            for try await (s, pid, mid, slot, ticks, log) in try await client.query("""
                SELECT t.season, t.player_id, t.match_id, e.slot, t.best_ticks, m.input_log
                FROM results.track_times t JOIN results.matches m ON m.match_id = t.match_id
                JOIN results.entries e ON e.match_id = t.match_id AND e.player_id = t.player_id
                WHERE t.track = \(track) AND t.season = coalesce(\(season), (SELECT max(id) FROM results.seasons))
                AND (\(wanted) = 0 OR t.player_id = \(wanted)) AND m.input_log IS NOT NULL
                ORDER BY t.best_ticks, t.player_id LIMIT 1
                """, logger: logger).decode((Int, Int64, Int64, Int, Int, String).self) {
                return ResultsService.Ghost(track: track, season: s, playerId: pid, matchId: mid, slot: slot, bestTicks: ticks, log: log)
            }
            return nil
        }
    }

    /// The race's input log (a ghost: replay it with the same physics).
    public func inputLog(matchId: Int64) async throws(PostgresStoreError) -> String? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> String? in
            for try await log in try await client.query("SELECT input_log FROM results.matches WHERE match_id = \(matchId)",
                                                         logger: logger).decode(String?.self) { return log }
            return nil
        }
    }
}
