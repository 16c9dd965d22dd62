import ArgumentParser
import CoreMetrics
import Foundation
import KKEconomy
import KKLoad
import KKPhysics
import KKPostgres
import KKRedis
import KKResults
import KKResultsCore
import Logging
import PostgresNIO

/// `kk-load resultsbench`: what results, leaderboards and re-simulation cost, each next to a
/// baseline measured in the same run on the same machine. Phases, each bounded by count:
/// 1. re-simulation: an 8-kart bot race of `--race-seconds` replayed from its input log
///    (what verifies every result): ms per minute of race, and times faster than real time;
/// 2. ingest: `--results` results of 8-kart races put on a results stream and taken in by the
///    real consumer (verify + one transaction + XACK + rating), results/s; next to the
///    verification alone (same results, same process): the share the database costs;
///    telemetry: `--telemetry` entries copied in batches (COPY), rows/s, next to the same rows
///    inserted one statement each;
/// 3. leaderboards: `--entries` best times on one track in PostgreSQL (results.track_times)
///    and the same in a Redis sorted set; `--queries` top-100 and around-me (10 each side)
///    queries on each, interleaved: p50/p99 and the ratio PostgreSQL / Redis.
struct ResultsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resultsbench", abstract: "Results ingest, re-simulation and leaderboards next to their baselines (LoadTests/resultsbench.sh).")

    @Option(help: "PostgreSQL URL (default: $KK_POSTGRES_URL).") var postgresUrl: String?
    @Option(help: "Redis port on 127.0.0.1.") var redisPort: Int
    @Option(help: "Board entries (PostgreSQL and the Redis sorted set).") var entries = 1_000_000
    @Option(help: "Queries of each kind on each store.") var queries = 2_000
    @Option(help: "Results ingested.") var results = 400
    @Option(help: "Telemetry entries copied (8 karts each).") var telemetry = 2_000
    @Option(help: "Seconds of race re-simulated.") var raceSeconds = 60

    func validate() throws {
        guard (1_000...5_000_000).contains(entries) else { throw ValidationError("--entries must be 1000-5000000") }
        guard (10...100_000).contains(queries) else { throw ValidationError("--queries must be 10-100000") }
        guard (10...10_000).contains(results) else { throw ValidationError("--results must be 10-10000") }
        guard (10...100_000).contains(telemetry) else { throw ValidationError("--telemetry must be 10-100000") }
        guard (10...600).contains(raceSeconds) else { throw ValidationError("--race-seconds must be 10-600") }
    }

    func run() throws { try runBlocking { try await self.runAsync() } }

    func runAsync() async throws {
        guard let url = postgresUrl ?? ProcessInfo.processInfo.environment["KK_POSTGRES_URL"] else { throw ValidationError("--postgres-url or KK_POSTGRES_URL") }
        var logger = Logger(label: "resultsbench")
        logger.logLevel = .warning
        let settings = try PostgresSettings(url: url)
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: redisPort))
        defer { redis.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for set in [try EconomyMigrations.set(), try ResultsMigrations.set()] { try await MigrationRunner.apply(set, on: client, logger: logger) }
            resimulation()
            try await ingest(client: client, redis: redis, logger: logger)
            try await boards(client: client, redis: redis, logger: logger)
        }
    }

    // MARK: 1. re-simulation

    /// An 8-kart bot race's log, at most `ticks` long.
    static func botLog(ticks: UInt32, seed: UInt64, laps: UInt8 = 1, track name: String = "sprint") -> (InputLog, MatchState) {
        try! InputLog.botRace(track: name, players: 8, seed: seed, botSeed: seed, laps: laps, maxTicks: ticks)
    }

    func resimulation() {
        let ticks = UInt32(raceSeconds * 60)
        let (log, _) = Self.botLog(ticks: ticks, seed: 3, laps: 50, track: "oval")
        let runs = 5
        var best = Double.infinity
        for _ in 0..<runs {
            let t0 = ContinuousClock.now
            _ = try? log.replay()
            best = min(best, (ContinuousClock.now - t0).seconds)
        }
        let perMinute = best * 1000 * 3600 / Double(log.ticks)
        print("resim: \(log.ticks) ticks of an 8-kart race (\(log.changes.count) input changes, \(log.text().utf8.count) bytes of log): "
              + "best of \(runs) \(ms(best * 1000)) ms -> \(ms(perMinute)) ms per race minute, \(Int(Double(log.ticks) / 60 / best))x real time")
    }

    // MARK: 2. ingest

    func ingest(client: PostgresClient, redis: RedisCommandBridge, logger: Logger) async throws {
        let prefix = "kkrb\(UInt32.random(in: 0...UInt32.max)):"
        var races: [RaceResult] = []
        for seed in 1...4 {
            let (log, state) = Self.botLog(ticks: 3000, seed: UInt64(seed))
            races.append(RaceResult(matchId: 0, epoch: 1, shardId: "bench", track: "sprint", laps: state.race.totalLaps, ticks: state.tick,
                                    entries: RaceResult.entries(of: state, players: (0..<8).map { _ in nil }), log: log.text()))
        }
        let base = UInt64.random(in: 1_000_000...1_000_000_000) * 100_000
        var batch: [RaceResult] = []
        for i in 0..<results {
            var r = races[i % races.count]
            r.matchId = base + UInt64(i)
            for k in 0..<r.entries.count { r.entries[k].playerId = base + UInt64(i * 8 + k) }
            batch.append(r)
        }
        // Baseline: verification alone.
        let verifier = ResultVerifier()
        let v0 = ContinuousClock.now
        for r in batch { _ = verifier.verify(r) }
        let verifyRate = Double(batch.count) / (ContinuousClock.now - v0).seconds
        // The consumer: the stream filled first, then drained.
        for r in batch {
            _ = await redis.command(["HSET", .string(prefix + "match:\(r.matchId)"), "state", "over"])
            let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
            _ = await redis.command(["XADD", .string(prefix + "results"), "*", "result", .string(json)])
        }
        var opts = ResultsConsumer.Options(consumer: "bench")
        opts.prefix = prefix
        let consumer = ResultsConsumer(redis: redis, store: ResultsStore(client: client, logger: logger, rewards: RaceRewards()), options: opts,
                                       metricsFactory: NOOPMetricsHandler.instance, logger: logger)
        let c0 = ContinuousClock.now
        let task = Task { await consumer.run() }
        while consumer.outcomeTotals.values.reduce(0, +) < batch.count && (ContinuousClock.now - c0) < .seconds(300) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let ingestSeconds = (ContinuousClock.now - c0).seconds
        task.cancel()
        _ = await task.value
        let recorded = consumer.outcomeTotals["recorded_verified"] ?? 0
        print("ingest: \(recorded)/\(batch.count) 8-kart results recorded verified (with 8 rewards and a rating update each) in \(ms(ingestSeconds * 1000)) ms "
              + "= \(Int(Double(recorded) / ingestSeconds)) results/s; verification alone \(Int(verifyRate)) results/s "
              + "(ingest / verification = \(ratio(Double(recorded) / ingestSeconds, verifyRate)))")

        // Telemetry: COPY batches vs one INSERT per row.
        let rows = (0..<telemetry).map { i -> TelemetryStore.Batch in
            var players = (0..<8).map { MatchTelemetry.Player(slot: $0, playerId: base + UInt64($0)) }
            for k in 0..<8 { players[k].applied = UInt32(3000 + i % 100); players[k].arrived(ticksAhead: 3) }
            return .init(atMillis: Int64(Date().timeIntervalSince1970 * 1000) + Int64(i),
                         telemetry: MatchTelemetry(matchId: base + UInt64(i), epoch: 1, shardId: "bench", track: "sprint", ticks: 3000, players: players))
        }
        for r in rows {
            let json = String(decoding: try JSONEncoder().encode(r.telemetry), as: UTF8.self)
            _ = await redis.command(["XADD", .string(prefix + "telemetry"), "*", "telemetry", .string(json)])
        }
        var topts = TelemetryConsumer.Options(consumer: "bench")
        topts.prefix = prefix
        let tc = TelemetryConsumer(redis: redis, store: TelemetryStore(client: client, logger: logger), options: topts,
                                   metricsFactory: NOOPMetricsHandler.instance, logger: logger)
        let t0 = ContinuousClock.now
        let ttask = Task { await tc.run() }
        while (tc.totalsByOutcome["copied"] ?? 0) < rows.count && (ContinuousClock.now - t0) < .seconds(300) { try await Task.sleep(for: .milliseconds(5)) }
        let copySeconds = (ContinuousClock.now - t0).seconds
        ttask.cancel()
        _ = await ttask.value
        let copied = tc.totalsByOutcome["rows"] ?? 0
        // Baseline: the same number of rows, one INSERT statement each (a fresh match id range).
        let n = min(copied, 4_000)
        let i0 = ContinuousClock.now
        for i in 0..<n {
            let mid = Int64(base) + 9_000_000 + Int64(i)
            try await client.query("""
                INSERT INTO results.telemetry (at, match_id, slot, epoch, shard, track, player_id, ticks, inputs_applied, inputs_late,
                    inputs_duplicate, inputs_dropped, ticks_missing, rejoins, margin_mean_ticks, margin_min_ticks)
                VALUES (now(), \(mid), 0, 1, 'bench', 'sprint', \(mid), 3000, 3000, 0, 0, 0, 0, 0, 3, 3)
                """, logger: logger)
        }
        let insertRate = Double(n) / (ContinuousClock.now - i0).seconds
        let copyRate = Double(copied) / copySeconds
        print("telemetry: \(copied) rows (\(rows.count) entries) copied from the stream in \(ms(copySeconds * 1000)) ms = \(Int(copyRate)) rows/s; "
              + "one INSERT per row: \(Int(insertRate)) rows/s (COPY batches / INSERTs = \(ratio(copyRate, insertRate)))")
        _ = await redis.command(["DEL", .string(prefix + "results"), .string(prefix + "telemetry")])
    }

    // MARK: 3. leaderboards

    func boards(client: PostgresClient, redis: RedisCommandBridge, logger: Logger) async throws {
        let track = "bench\(UInt32.random(in: 0...UInt32.max) % 1_000_000)"
        let zkey = "kkrb:board:\(track)"
        let base = Int64.random(in: 1_000_000...1_000_000_000) * 10_000_000
        let matchId = base
        var season = 1
        for try await s in try await client.query("SELECT max(id) FROM results.seasons", logger: logger).decode(Int.self) { season = s }
        let l0 = ContinuousClock.now
        try await client.query("""
            INSERT INTO results.matches (match_id, epoch, shard, track, laps, ticks, verified, stream_id, season)
            VALUES (\(matchId), 1, 'bench', \(track), 1, 1, true, 'bench', \(season))
            """, logger: logger)
        try await client.query("""
            INSERT INTO results.track_times (season, track, player_id, best_ticks, match_id)
            SELECT \(season), \(track), \(base) + g, 600 + (hashtext(g::text) & 65535) % 6000, \(matchId) FROM generate_series(1, \(entries)) g
            """, logger: logger)
        try await client.query("""
            INSERT INTO results.track_time_counts (season, track, best_ticks, n)
            SELECT season, track, best_ticks, count(*) FROM results.track_times WHERE season = \(season) AND track = \(track)
            GROUP BY season, track, best_ticks
            """, logger: logger)
        try await client.query("ANALYZE results.track_times", logger: logger)
        try await client.query("ANALYZE results.track_time_counts", logger: logger)
        let pgLoad = (ContinuousClock.now - l0).seconds
        // The same scores into the sorted set (pipelined batches of 1,000).
        let r0 = ContinuousClock.now
        var ticksOf: [Int64: Int] = [:]
        for try await (pid, t) in try await client.query("SELECT player_id, best_ticks FROM results.track_times WHERE season = \(season) AND track = \(track)",
                                                         logger: logger).decode((Int64, Int).self) { ticksOf[pid] = t }
        let ids = Array(ticksOf.keys)
        var i = 0
        while i < ids.count {
            var args: [RedisArg] = ["ZADD", .string(zkey)]
            for id in ids[i..<min(i + 1000, ids.count)] { args += [.int(Int64(ticksOf[id]!)), .string(String(id))] }
            _ = await redis.command(args)
            i += 1000
        }
        let redisLoad = (ContinuousClock.now - r0).seconds
        print("boards: \(entries) best times loaded: PostgreSQL \(ms(pgLoad * 1000)) ms (one INSERT ... SELECT), Redis sorted set \(ms(redisLoad * 1000)) ms")
        let store = ResultsStore(client: client, logger: logger)
        var pgTop = LatencyHistogram(), redisTop = LatencyHistogram(), pgAround = LatencyHistogram(), redisAround = LatencyHistogram()
        var rng = SystemRandomNumberGenerator()
        func micros(_ d: Duration) -> UInt64 { UInt64(max(1, d.seconds * 1_000_000)) }
        for q in 0..<queries {
            let who = ids[Int(rng.next() % UInt64(ids.count))]
            let order = q % 2 == 0
            for first in [order, !order] {
                if first {
                    let t0 = ContinuousClock.now
                    let top = try await store.leaderboard(track: track, season: season, limit: 100, around: nil).rows
                    pgTop.record(micros(ContinuousClock.now - t0))
                    let t1 = ContinuousClock.now
                    let around = try await store.leaderboard(track: track, season: season, limit: 10, around: who).rows
                    pgAround.record(micros(ContinuousClock.now - t1))
                    precondition(top.count == 100 && around.contains { $0.playerId == who }, "the board answers")
                } else {
                    let t0 = ContinuousClock.now
                    let top = await redis.command(["ZRANGE", .string(zkey), "0", "99", "WITHSCORES"])
                    redisTop.record(micros(ContinuousClock.now - t0))
                    let t1 = ContinuousClock.now
                    if case .integer(let rank) = await redis.command(["ZRANK", .string(zkey), .string(String(who))]) {
                        _ = await redis.command(["ZRANGE", .string(zkey), .int(max(0, rank - 10)), .int(rank + 10), "WITHSCORES"])
                    }
                    redisAround.record(micros(ContinuousClock.now - t1))
                    if case .array(let a) = top { precondition(a.count == 200, "the sorted set answers") }
                }
            }
        }
        func line(_ name: String, _ pg: LatencyHistogram, _ rd: LatencyHistogram) -> String {
            let p = pg.summary(divisor: 1000), r = rd.summary(divisor: 1000)
            return "\(name): PostgreSQL p50 \(ms(p.p50)) ms p99 \(ms(p.p99)) ms; Redis p50 \(ms(r.p50)) ms p99 \(ms(r.p99)) ms "
                + "(PostgreSQL / Redis: p50 \(ratio(p.p50, r.p50)), p99 \(ratio(p.p99, r.p99)))"
        }
        print(line("top-100 of \(entries)", pgTop, redisTop))
        print(line("around-me (rank + 10 each side) of \(entries)", pgAround, redisAround))
        // Leave nothing behind: the bench's rows and key.
        try await client.query("DELETE FROM results.track_times WHERE season = \(season) AND track = \(track)", logger: logger)
        try await client.query("DELETE FROM results.track_time_counts WHERE season = \(season) AND track = \(track)", logger: logger)
        try await client.query("DELETE FROM results.matches WHERE match_id = \(matchId)", logger: logger)
        _ = await redis.command(["DEL", .string(zkey)])
    }

    func ms(_ v: Double) -> String { String(format: v < 10 ? "%.3f" : "%.1f", v) }
    func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2fx", a / b) : "n/a" }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
