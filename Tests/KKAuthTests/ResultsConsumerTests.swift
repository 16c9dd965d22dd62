import Foundation
import KKEconomy
import KKPhysics
import KKPostgres
import KKRedis
import KKResults
import KKResultsCore
import KKSocial
import KKTestSupport
import Logging
import Metrics
import PostgresNIO
import Testing

/// The results consumer against real Redis (its stream and consumer group) and PostgreSQL:
/// verified results recorded once, duplicates and replays change nothing, forged results stored
/// unverified with the reason, unknown matches and garbage refused, entries left pending by a
/// dead consumer claimed and recorded.
@Suite(.serialized) struct ResultsConsumerTests {
    let logger = Logger(label: "results-test")

    func consumer(_ redis: RedisCommandBridge, _ client: PostgresClient, prefix: String, name: String, claimIdle: Int64 = 30_000,
                  rewards: RaceRewards? = nil) -> ResultsConsumer {
        var o = ResultsConsumer.Options(consumer: name)
        o.prefix = prefix
        o.claimIdleMillis = claimIdle
        return ResultsConsumer(redis: redis, store: ResultsStore(client: client, logger: logger, rewards: rewards), options: o,
                               metricsFactory: NOOPMetricsHandler.instance, logger: logger)
    }

    /// Puts `r` on the stream as a shard does (the match hash exists unless `known` is false).
    func publish(_ redis: RedisSync, prefix: String, _ r: RaceResult, known: Bool = true) throws {
        if known { redis.run("HSET", prefix + "match:\(r.matchId)", "shard", r.shardId, "state", "over") }
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        redis.run("XADD", prefix + "results", "*", "match", "\(r.matchId)", "shard", r.shardId, "result", json)
    }

    /// Runs the consumer until `done` holds (bounded: 20 s).
    func drain(_ c: ResultsConsumer, until done: @escaping @Sendable () -> Bool) async {
        let task = Task { await c.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !done() && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        _ = await task.value
    }

    @Test func resultsAreRecordedOnceVerifiedOrWithTheReason() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kkres\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let base = UInt64.random(in: 1_000_000...1_000_000_000_000) * 10
        let good = try botRace(matchId: base + 1)
        var forged = try botRace(matchId: base + 2)
        let w = forged.entries.firstIndex { $0.place == 1 }!
        forged.entries[w].finishTick -= 30
        let unknown = try botRace(matchId: base + 3)
        try publish(sync, prefix: prefix, good)
        try publish(sync, prefix: prefix, good)            // a duplicate (a retried publish)
        try publish(sync, prefix: prefix, forged)
        try publish(sync, prefix: prefix, unknown, known: false)
        sync.run("XADD", prefix + "results", "*", "result", "{not json")
        var twice = try botRace(matchId: base + 4)
        twice.entries[1].playerId = twice.entries[0].playerId
        try publish(sync, prefix: prefix, twice)          // one player in two karts: refused
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            let c = consumer(redis, client, prefix: prefix, name: "c1")
            await drain(c) { c.outcomeTotals.values.reduce(0, +) >= 6 }
            let t = c.outcomeTotals
            #expect(t["recorded_verified"] == 1 && t["duplicate"] == 1 && t["recorded_unverified"] == 1
                    && t["unknown_match"] == 1 && t["malformed"] == 2, "\(t)")
            let store = ResultsStore(client: client, logger: logger)
            let g = try #require(try await store.result(matchId: Int64(base + 1)))
            #expect(g.verified && g.entries.count == 2 && g.entries.contains { $0.place == 1 && $0.playerId != nil })
            let f = try #require(try await store.result(matchId: Int64(base + 2)))
            #expect(!f.verified && f.unverifiedReason?.hasPrefix("mismatch") == true, "\(f)")
            #expect(try await store.result(matchId: Int64(base + 3)) == nil, "unknown match not recorded")
            #expect(try await store.inputLog(matchId: Int64(base + 1))?.hasPrefix("kklog 1") == true)
            // Everything was acknowledged: nothing pending.
            let pending = await redis.command(["XPENDING", .string(prefix + "results"), "results"])
            if case .array(let p) = pending { #expect(p.first == .integer(0), "\(pending)") }
        }
    }

    /// A consumer died after reading an entry (it stays pending on it): another consumer claims
    /// it once it has been idle long enough and records it, once.
    @Test func anEntryLeftPendingByADeadConsumerIsClaimed() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kkres\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let r = try botRace(matchId: UInt64.random(in: 1_000_000...1_000_000_000_000) * 10 + 7)
        sync.run("XGROUP", "CREATE", prefix + "results", "results", "0", "MKSTREAM")
        try publish(sync, prefix: prefix, r)
        // The dead consumer read it and never acknowledged it.
        sync.run("XREADGROUP", "GROUP", "results", "dead", "COUNT", "10", "STREAMS", prefix + "results", ">")
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            let c = consumer(redis, client, prefix: prefix, name: "alive", claimIdle: 200)
            await drain(c) { c.outcomeTotals["recorded_verified"] == 1 }
            #expect(c.outcomeTotals["recorded_verified"] == 1, "\(c.outcomeTotals)")
            #expect(try await ResultsStore(client: client, logger: logger).result(matchId: Int64(r.matchId))?.verified == true)
        }
    }

    /// Verified races feed the players' stats and the track's board (forged ones do not); a
    /// player's rank and neighbours; a new season starts an empty board and keeps the old one.
    @Test func statsAndLeaderboardsFromVerifiedRacesOnly() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kkres\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let base = UInt64.random(in: 1_000_000...1_000_000_000_000) * 10
        let players = UInt64.random(in: 1_000_000...1_000_000_000) * 10
        var races: [RaceResult] = []
        for i in 0..<3 { races.append(try botRace(matchId: base + UInt64(i), seed: UInt64(11 + i), playerBase: players + UInt64(2 * i))) }
        var forged = try botRace(matchId: base + 9, playerBase: players + 100)
        forged.entries[0].finishTick = forged.entries[0].finishTick / 2
        for r in races + [forged] { try publish(sync, prefix: prefix, r) }
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            let c = consumer(redis, client, prefix: prefix, name: "stats")
            await drain(c) { c.outcomeTotals.values.reduce(0, +) >= 4 }
            let store = ResultsStore(client: client, logger: logger)
            let winner = try #require(races[0].entries.first { $0.place == 1 }?.playerId)
            let s = try await store.stats(playerId: Int64(winner))
            #expect(s.races == 1 && s.wins == 1 && s.podiums == 1 && s.finishes == 1 && s.bestTicks["sprint"] != nil, "\(s)")
            // One lap: the best lap is the line-to-line time, a little under the race time from the start signal.
            #expect(s.bestLapTicks["sprint"].map { $0 > 0 && $0 <= s.bestTicks["sprint"]! } == true, "\(s)")
            // Skill: the winner's mean went up, the other racer's down; the lobby's rating follows.
            #expect(s.skill.mu > 25 && s.skill.sigma < 25.0 / 3, "\(s)")
            let loser = try #require(races[0].entries.first { $0.playerId != winner }?.playerId)
            #expect(try await store.stats(playerId: Int64(loser)).skill.mu < 25)
            #expect((await redis.command(["GET", .string(prefix + "rating:\(winner)")])).text.flatMap(Int.init).map { $0 > 1500 } == true)
            let cheat = try await store.stats(playerId: Int64(players + 100))
            #expect(cheat.races == 0 && cheat.bestTicks.isEmpty && cheat.skill == SkillRating(), "a forged race counts for nothing: \(cheat)")
            // Around the winner: sorted by time, ranks consecutive, the winner in it.
            let (season, board) = try await store.leaderboard(track: "sprint", season: nil, limit: 3, around: Int64(winner))
            #expect(board.contains { $0.playerId == Int64(winner) }, "\(board)")
            #expect(zip(board, board.dropFirst()).allSatisfy { $0.bestTicks <= $1.bestTicks && $0.rank + 1 == $1.rank }, "\(board)")
            let top = try await store.leaderboard(track: "sprint", season: season, limit: 100, around: nil).rows
            let mine = try #require(board.first { $0.playerId == Int64(winner) })
            #expect(top.count < 100 ? top.first { $0.playerId == Int64(winner) }?.rank == mine.rank : true)
            // A new season: an empty board for it, the old one kept.
            let next = try await store.startSeason(name: "test season \(base)")
            #expect(next == season + 1)
            #expect(try await store.leaderboard(track: "sprint", season: next, limit: 10, around: Int64(winner)).rows.isEmpty)
            #expect(try await store.leaderboard(track: "sprint", season: season, limit: 10, around: Int64(winner)).rows.contains { $0.playerId == Int64(winner) })
        }
    }

    /// Around-me ranks come from the per-time counts: as players improve (and some do not),
    /// every player's rank around them is their place in the full board, and the counts add up
    /// to the board's size. A track of its own keeps the board apart from other tests.
    @Test func aroundRanksFollowImprovingTimes() async throws {
        try await withDatabase(logger: logger) { client in
            for set in [try EconomyMigrations.set(), try ResultsMigrations.set()] { try await MigrationRunner.apply(set, on: client, logger: logger) }
            let store = ResultsStore(client: client, logger: logger)
            let track = "t\(UInt32.random(in: 0...UInt32.max))"
            let base = UInt64.random(in: 1_000_000...1_000_000_000) * 1000
            let players = UInt64.random(in: 1_000_000...1_000_000_000) * 100
            var rng = SystemRandomNumberGenerator()
            for race in 0..<12 {
                var r = try botRace(matchId: base + UInt64(race), players: 3, seed: UInt64(20 + race % 4), playerBase: players + UInt64(race % 5))
                r.track = track
                for k in r.entries.indices where r.entries[k].place != nil { r.entries[k].finishTick += UInt32(rng.next() % 40) }
                guard case .recorded = try await store.record(r, verified: nil, streamId: "t-\(race)") else { Issue.record("race \(race)"); return }
            }
            let board = try await store.leaderboard(track: track, season: nil, limit: 100, around: nil).rows
            #expect(board.count == 7 && board.enumerated().allSatisfy { $0.element.rank == $0.offset + 1 }, "\(board)")
            for row in board {
                let around = try await store.leaderboard(track: track, season: nil, limit: 2, around: row.playerId).rows
                #expect(around.first { $0.playerId == row.playerId }?.rank == row.rank, "\(row) in \(around)")
                #expect(around.map(\.playerId) == Array(board.dropFirst(max(0, row.rank - 3)).prefix(row.rank >= 3 ? 5 : row.rank + 2)).map(\.playerId))
            }
            var total = 0
            for try await n in try await client.query("SELECT coalesce(sum(n), 0)::int FROM results.track_time_counts WHERE track = \(track)",
                                                      logger: logger).decode(Int.self) { total = n }
            #expect(total == board.count, "counts add up to the board")
        }
    }

    /// Two races of the same new players recorded at the same moment (the consumer records
    /// several at once): each player keeps the faster time, counted once; both races count in
    /// their stats and ratings.
    @Test func concurrentRacesOfNewPlayersKeepBoardsAndRatingsExact() async throws {
        try await withDatabase(logger: logger) { client in
            for set in [try EconomyMigrations.set(), try ResultsMigrations.set()] { try await MigrationRunner.apply(set, on: client, logger: logger) }
            let store = ResultsStore(client: client, logger: logger)
            for round in 0..<5 {
                let track = "c\(UInt32.random(in: 0...UInt32.max))"
                let base = UInt64.random(in: 1_000_000...1_000_000_000) * 1000
                let players = UInt64.random(in: 1_000_000...1_000_000_000) * 100
                var a = try botRace(matchId: base, players: 2, seed: 7, playerBase: players)
                var b = try botRace(matchId: base + 1, players: 2, seed: 7, playerBase: players)
                a.track = track; b.track = track
                for k in b.entries.indices where b.entries[k].place != nil { b.entries[k].finishTick += UInt32(10 + round) }
                let (ca, cb) = (a, b)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await store.record(ca, verified: nil, streamId: "a") }
                    group.addTask { _ = try await store.record(cb, verified: nil, streamId: "b") }
                    try await group.waitForAll()
                }
                let board = try await store.leaderboard(track: track, season: nil, limit: 100, around: nil).rows
                let countdown = Int(RaceRules(laps: a.laps).countdownTicks)
                let fastest = a.entries.filter { $0.place != nil }.map { Int($0.finishTick) - countdown }.sorted()
                #expect(board.map(\.bestTicks) == fastest, "round \(round): the faster race's times: \(board)")
                var total = 0
                for try await n in try await client.query("SELECT coalesce(sum(n), 0)::int FROM results.track_time_counts WHERE track = \(track)",
                                                          logger: logger).decode(Int.self) { total = n }
                #expect(total == board.count, "round \(round): counted once")
                for p in 0..<2 {
                    let (_, races) = try await store.rating(playerId: Int64(players) + Int64(p))
                    #expect(races == 2, "round \(round): both races rated")
                }
            }
        }
    }

    /// Rewards: each racer of a verified race is paid by place, once (a replayed entry pays
    /// nothing more); a forged race pays no one. Friends-only boards list me and my friends.
    @Test func rewardsFromVerifiedRacesOnceAndFriendsBoards() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kkres\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let base = UInt64.random(in: 1_000_000...1_000_000_000_000) * 10
        let players = UInt64.random(in: 1_000_000...1_000_000_000) * 10
        let race = try botRace(matchId: base + 1, players: 3, seed: 5, playerBase: players)
        var forged = try botRace(matchId: base + 2, playerBase: players + 10)
        forged.entries[0].finishTick = forged.entries[0].finishTick / 2
        try publish(sync, prefix: prefix, race)
        try publish(sync, prefix: prefix, race)   // replayed: no second reward
        try publish(sync, prefix: prefix, forged)
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            for set in [try EconomyMigrations.set(), try ResultsMigrations.set(), try SocialMigrations.set()] {
                try await MigrationRunner.apply(set, on: client, logger: logger)
            }
            let rules = RaceRewards()
            let c = consumer(redis, client, prefix: prefix, name: "rewards", rewards: rules)
            await drain(c) { c.outcomeTotals.values.reduce(0, +) >= 3 }
            #expect(c.outcomeTotals["recorded_verified"] == 1 && c.outcomeTotals["duplicate"] == 1, "\(c.outcomeTotals)")
            let economy = EconomyStore(client: client, logger: logger)
            for e in race.entries {
                let pid = Int64(try #require(e.playerId))
                let w = try await economy.wallet(account: pid)
                #expect(w.balance == rules.amount(place: e.place) && w.recent.count == 1 && w.recent[0].kind == "reward", "\(e): \(w)")
            }
            for e in forged.entries {
                #expect(try await economy.wallet(account: Int64(try #require(e.playerId))).balance == 0, "a forged race pays nothing")
            }
            // Friends-only: the first racer befriends the second; their board has the two of them only.
            let a = Int64(players), b = Int64(players + 1)
            try await client.query("INSERT INTO social.friendships (a, b) VALUES (\(min(a, b)), \(max(a, b))) ON CONFLICT DO NOTHING", logger: logger)
            let store = ResultsStore(client: client, logger: logger)
            let finishers = Set(race.entries.filter { $0.place != nil }.compactMap { $0.playerId.map { Int64($0) } })
            let friends = try await store.leaderboard(track: "sprint", season: nil, limit: 100, around: nil, friendsOf: a).rows
            #expect(Set(friends.map(\.playerId)) == finishers.intersection([a, b]), "\(friends)")
            #expect(friends.enumerated().allSatisfy { $0.element.rank == $0.offset + 1 }, "ranks among friends: \(friends)")
            // The ghost of a racer's best time: replaying its log finishes that kart at that time.
            let winner = try #require(race.entries.first { $0.place == 1 })
            let winnerId = Int64(try #require(winner.playerId))
            let ghost = try #require(try await store.ghost(track: "sprint", season: nil, player: winnerId))
            #expect(ghost.matchId == Int64(race.matchId) && ghost.slot == winner.slot)
            let replayed = try InputLog(parsing: ghost.log).replay()
            let countdown = Int(RaceRules(laps: race.laps).countdownTicks)
            #expect(Int(replayed.karts[ghost.slot].finishTick) - countdown == ghost.bestTicks, "the ghost replays its time")
        }
    }

    /// Telemetry in batches: 300 matches' figures (one from January 2025: its month's partition
    /// is made) copied with COPY, garbage counted and acknowledged, nothing pending; the same
    /// batch copied again adds no row.
    @Test func telemetryIsCopiedInBatchesIntoMonthlyPartitions() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kktel\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let base = UInt64.random(in: 1_000_000...1_000_000_000_000) * 1000
        let figures = { (i: Int) throws -> String in try Self.telemetryJSON(base: base, i) }
        let first = try Self.telemetryJSON(base: base, 0)
        sync.run("XADD", prefix + "telemetry", "1736000000000-0", "telemetry", try figures(0))   // 2025-01-04
        for i in 1..<300 { sync.run("XADD", prefix + "telemetry", "*", "telemetry", try figures(i)) }
        sync.run("XADD", prefix + "telemetry", "*", "telemetry", "{nope")
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            var o = TelemetryConsumer.Options(consumer: "t1")
            o.prefix = prefix
            let store = TelemetryStore(client: client, logger: logger)
            let c = TelemetryConsumer(redis: redis, store: store, options: o, metricsFactory: NOOPMetricsHandler.instance, logger: logger)
            await Self.drain(c) { (c.totalsByOutcome["copied"] ?? 0) >= 300 }
            let t = c.totalsByOutcome
            #expect(t["copied"] == 300 && t["malformed"] == 1 && t["rows"] == 1200, "\(t)")
            let rows = try await store.rows(matchId: Int64(base + 7))
            #expect(rows.count == 4 && rows[0].inputsApplied == 7 && rows[0].marginMinTicks == -1 && rows[0].marginMeanTicks == 1, "\(rows)")
            #expect(rows[3].playerId == nil && rows[1].marginMinTicks == nil && rows[0].shard == "s\t1", "\(rows)")
            let partitions = try await Self.telemetryPartitions(client, logger)
            #expect(partitions.contains("telemetry_2025_01") && partitions.count >= 2, "\(partitions)")
            // Copied again (a consumer that died before its XACK): nothing added.
            let decoded = try JSONDecoder().decode(MatchTelemetry.self, from: Data(first.utf8))
            let again = [TelemetryStore.Batch(atMillis: 1_736_000_000_000, telemetry: decoded)]
            #expect(try await store.copy(again) == 0)
        }
        #expect(sync.run("EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", prefix + "telemetry", "telemetry") == "0")
    }

    static func drain(_ c: TelemetryConsumer, until done: @escaping @Sendable () -> Bool) async {
        let task = Task { await c.run() }
        let deadline = ContinuousClock.now + .seconds(20)
        while !done() && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        task.cancel()
        _ = await task.value
    }

    static func telemetryPartitions(_ client: PostgresClient, _ logger: Logger) async throws -> [String] {
        var partitions: [String] = []
        for try await name in try await client.query("""
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'results.telemetry'::regclass ORDER BY 1
            """, logger: logger).decode(String.self) { partitions.append(name) }
        return partitions
    }

    /// Figures that would not fit the table are refused before COPY (they would fail the whole batch).
    @Test func telemetryThatDoesNotFitIsRefusedBeforeCopy() {
        var t = MatchTelemetry(matchId: 9, epoch: 1, shardId: "s1", track: "sprint", ticks: 600,
                               players: [MatchTelemetry.Player(slot: 0, playerId: 5)])
        #expect(TelemetryStore.fits(t))
        var big = t
        big.players[0].applied = UInt32(Int32.max) + 1
        var slot = t
        slot.players[0].slot = 64
        var nul = t
        nul.shardId = "s\u{0}1"
        var long = t
        long.track = String(repeating: "x", count: 65)
        t.matchId = 0
        for bad in [big, slot, nul, long, t] { #expect(!TelemetryStore.fits(bad), "\(bad)") }
    }

    static func telemetryJSON(base: UInt64, _ i: Int) throws -> String {
        var players = (0..<4).map { MatchTelemetry.Player(slot: $0, playerId: base + UInt64($0)) }
        players[0].applied = UInt32(i); players[0].arrived(ticksAhead: 3); players[0].arrived(ticksAhead: -1)
        players[3].playerId = nil
        let t = MatchTelemetry(matchId: base + UInt64(i), epoch: 1, shardId: "s\t1", track: "sprint", ticks: 600, players: players)
        return String(decoding: try JSONEncoder().encode(t), as: UTF8.self)
    }

    /// PostgreSQL unreachable: nothing is acknowledged (the entry stays pending, counted
    /// store_failed); when the database answers again the same consumer records it, once.
    @Test func whilePostgresIsDownNothingIsAcknowledgedAndItIsRecordedLater() async throws {
        let port = try RedisTestServer.port()
        let prefix = "kkres\(UInt32.random(in: 0...UInt32.max)):"
        let sync = try #require(RedisSync(port: port))
        let r = try botRace(matchId: UInt64.random(in: 1_000_000...1_000_000_000_000) * 10 + 3,
                            playerBase: UInt64.random(in: 1_000_000...1_000_000_000) * 10)
        try publish(sync, prefix: prefix, r)
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        // A database that does not answer: a client to a port nobody listens on.
        let down = PostgresClient(configuration: .init(host: "127.0.0.1", port: Int(SystemTest.freePort()), username: "kk",
                                                       password: "x", database: "kk", tls: .disable), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await down.run() }
            var o = ResultsConsumer.Options(consumer: "same")
            o.prefix = prefix
            let c = ResultsConsumer(redis: redis, store: ResultsStore(client: down, logger: logger, deadline: .milliseconds(300)), options: o,
                                    metricsFactory: NOOPMetricsHandler.instance, logger: logger)
            await drain(c) { (c.outcomeTotals["store_failed"] ?? 0) >= 2 }
            #expect((c.outcomeTotals["store_failed"] ?? 0) >= 2 && c.outcomeTotals["recorded_verified"] == nil, "\(c.outcomeTotals)")
            group.cancelAll()
        }
        let pending = await redis.command(["XPENDING", .string(prefix + "results"), "results"])
        if case .array(let p) = pending { #expect(p.first == .integer(1), "still pending: \(pending)") } else { Issue.record("\(pending)") }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            let c = consumer(redis, client, prefix: prefix, name: "same")
            await drain(c) { c.outcomeTotals["recorded_verified"] == 1 }
            #expect(c.outcomeTotals["recorded_verified"] == 1, "\(c.outcomeTotals)")
            #expect(try await ResultsStore(client: client, logger: logger).result(matchId: Int64(r.matchId))?.verified == true)
        }
        let after = await redis.command(["XPENDING", .string(prefix + "results"), "results"])
        if case .array(let p) = after { #expect(p.first == .integer(0), "\(after)") }
    }
}
