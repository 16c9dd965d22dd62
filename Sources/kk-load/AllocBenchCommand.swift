import ArgumentParser
import Dispatch
import Foundation
import KKMatch
import KKRedis
import NIOConcurrencyHelpers

/// `kk-load allocbench`: match allocations per second through the match service's own path (a
/// ``MatchBridge``: its loop thread, the allocation script, and a new match's lease claim on its
/// own keys), on one Redis or on a Redis Cluster (`--redis-cluster`), next to the baseline of the
/// same run: PINGs through the same bridge (the round trip without the script). Fake shards with
/// room for every match are registered under a fresh key prefix; every player is new, so one
/// allocation in `--players-per-match` creates a match. Bounded by time and count.
struct AllocBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocbench", abstract: "Match allocations/s on one Redis or a Redis Cluster, as a ratio to PINGs of the same run.")

    @Option(help: "Redis port (loopback).") var redisPort: Int
    @Flag(help: "The Redis is a node of a Redis Cluster.") var redisCluster = false
    @Option(help: "Seconds per measurement.") var seconds: Double = 5
    @Option(help: "Allocations in flight at once.") var concurrency: Int = 32
    @Option(help: "Players per match.") var playersPerMatch: Int = 8
    @Option(help: "Fake shards to place matches on.") var shards: Int = 8
    @Option(help: "Write the figures as JSON to this path.") var report: String?

    func validate() throws {
        guard (1...65535).contains(redisPort) else { throw ValidationError("--redis-port must be 1-65535") }
        guard (0.5...60).contains(seconds) else { throw ValidationError("--seconds must be 0.5-60") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be 1-256") }
        guard (1...16).contains(playersPerMatch) else { throw ValidationError("--players-per-match must be 1-16") }
        guard (1...64).contains(shards) else { throw ValidationError("--shards must be 1-64") }
    }

    struct Figures: Codable {
        var mode: String
        var pingsPerSecond: Double
        var allocationsPerSecond: Double
        var ratioToPing: Double
        var allocations: Int
        var failed: Int
        var matchesCreated: Int
        var p50Millis: Double
        var p99Millis: Double
    }

    func run() throws {
        let prefix = "kkb\(UInt32.random(in: 0...UInt32.max)):"
        let keys = MatchKeys(prefix: prefix, cluster: redisCluster)
        let options = RedisClient.Options(host: "127.0.0.1", port: redisPort, cluster: redisCluster)
        let allocator = AllocatorConfig(keys: keys, playersPerMatch: playersPerMatch, track: "oval", playerTTLMillis: 600_000)
        let bridge = try MatchBridge(options: .init(redis: options, allocator: allocator, maxQueued: 4096))
        defer { bridge.shutdown() }
        let setup = try RedisCommandBridge(options: options)
        defer { setup.shutdown() }
        let (seconds, concurrency, shards) = (seconds, concurrency, shards)
        let box = NIOLockedValueBox<Figures?>(nil)
        let mode = redisCluster ? "cluster" : "single"
        try runBlocking {
            for _ in 0..<500 where !(bridge.isRedisConnected && setup.isConnected) { try await Task.sleep(for: .milliseconds(10)) }
            guard bridge.isRedisConnected, setup.isConnected else { throw ValidationError("redis on port \(redisPort) did not answer") }
            for i in 0..<shards {
                let sid = "bench-\(i)"
                _ = await setup.command(["HSET", .string(keys.shard(sid)), "capacity", "100000000", "matches", "0", "draining", "0", "addr", "127.0.0.1:1"])
                _ = await setup.command(["PEXPIRE", .string(keys.shard(sid)), .int(Int64(seconds * 4 * 1000 + 60_000))])
                _ = await setup.command(["SADD", .string(keys.shards), .string(sid)])
            }
            // Baseline: PINGs through a bridge (same thread hop and connection), same concurrency.
            let pings = try await Self.closedLoop(concurrency: concurrency, seconds: seconds) { _ in
                if case .status = await setup.command(["PING"]) { return true }
                return false
            }
            let next = NIOLockedValueBox<UInt64>(1)
            let created = NIOLockedValueBox(0)
            let allocs = try await Self.closedLoop(concurrency: concurrency, seconds: seconds) { _ in
                let pid = next.withLockedValue { v -> UInt64 in defer { v += 1 }; return v }
                guard let a = try? await bridge.allocate(playerId: pid) else { return false }
                if a.kind == .created { created.withLockedValue { $0 += 1 } }
                return true
            }
            box.withLockedValue {
                $0 = Figures(mode: mode, pingsPerSecond: pings.rate, allocationsPerSecond: allocs.rate,
                             ratioToPing: pings.rate > 0 ? allocs.rate / pings.rate : 0, allocations: allocs.ok, failed: allocs.failed,
                             matchesCreated: created.withLockedValue { $0 }, p50Millis: allocs.p50, p99Millis: allocs.p99)
            }
        }
        guard let f = box.withLockedValue({ $0 }) else { throw ValidationError("no figures") }
        print(String(format: "allocbench %@: %.0f allocations/s (p50 %.2f ms, p99 %.2f ms, %d failed, %d matches), PING %.0f/s through the same bridge: ratio %.3f",
                     f.mode, f.allocationsPerSecond, f.p50Millis, f.p99Millis, f.failed, f.matchesCreated, f.pingsPerSecond, f.ratioToPing))
        if let report {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try enc.encode(f).write(to: URL(fileURLWithPath: report))
        }
    }

    struct LoopResult { var rate: Double; var ok: Int; var failed: Int; var p50: Double; var p99: Double }

    /// `concurrency` tasks each running `body` back to back until `seconds` pass (or 10 million
    /// operations); successes per second and latency percentiles of the successes.
    static func closedLoop(concurrency: Int, seconds: Double, _ body: @escaping @Sendable (Int) async -> Bool) async throws -> LoopResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        let results = try await withThrowingTaskGroup(of: (Int, Int, [Double]).self) { group in
            for t in 0..<concurrency {
                group.addTask {
                    var ok = 0, failed = 0, lat: [Double] = []
                    while DispatchTime.now().uptimeNanoseconds < end && ok + failed < 10_000_000 / concurrency {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        if await body(t) {
                            ok += 1
                            lat.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                        } else { failed += 1 }
                    }
                    return (ok, failed, lat)
                }
            }
            var all: [(Int, Int, [Double])] = []
            for try await r in group { all.append(r) }
            return all
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let ok = results.reduce(0) { $0 + $1.0 }, failed = results.reduce(0) { $0 + $1.1 }
        let lat = results.flatMap(\.2).sorted()
        func q(_ p: Double) -> Double { lat.isEmpty ? 0 : lat[min(lat.count - 1, Int(Double(lat.count) * p))] }
        return LoopResult(rate: Double(ok) / elapsed, ok: ok, failed: failed, p50: q(0.5), p99: q(0.99))
    }
}
