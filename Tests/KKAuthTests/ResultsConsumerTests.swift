import Foundation
import KKPostgres
import KKRedis
import KKResults
import KKResultsCore
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

    func consumer(_ redis: RedisCommandBridge, _ client: PostgresClient, prefix: String, name: String, claimIdle: Int64 = 30_000) -> ResultsConsumer {
        var o = ResultsConsumer.Options(consumer: name)
        o.prefix = prefix
        o.claimIdleMillis = claimIdle
        return ResultsConsumer(redis: redis, store: ResultsStore(client: client, logger: logger), options: o,
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
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: port))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            let c = consumer(redis, client, prefix: prefix, name: "c1")
            await drain(c) { c.outcomeTotals.values.reduce(0, +) >= 5 }
            let t = c.outcomeTotals
            #expect(t["recorded_verified"] == 1 && t["duplicate"] == 1 && t["recorded_unverified"] == 1
                    && t["unknown_match"] == 1 && t["malformed"] == 1, "\(t)")
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
