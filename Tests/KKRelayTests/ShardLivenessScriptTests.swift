import KKLoop
import KKRedis
@testable import KKShard
import KKTestSupport
import Testing

/// The shards' liveness script (beat and reap in one) against a real redis-server: who is
/// reported dead, to whom, and that a silence every shard shared reports nobody.
@Suite struct ShardLivenessScriptTests {
    final class Fixture {
        let loop: EventLoop
        let redis: RedisClient
        let key = RedisArg.string("kkt\(UInt64.random(in: 0...UInt64.max)):shards:alive")
        let script = ShardRedisScripts().beatAndReap

        init() throws {
            loop = try EventLoop()
            redis = RedisClient(loop: loop, options: .init(port: try RedisTestServer.port()))
            redis.connect()
            _ = drive(loop) { redis.isConnected }
        }

        deinit { redis.close(); loop.close() }

        func cmd(_ args: [RedisArg]) -> RedisReply? { roundTrip(redis, loop, args) }

        /// Runs the script for `id` with a silence of 5 s (wide margins on a busy machine: the
        /// shards use 400 ms); the ids it reports dead.
        func beat(_ id: String, lookForTheDead: Bool = true) -> [String]? {
            var reply: RedisReply?
            script.run(on: redis, keys: [key], args: [.string(id), 5_000, lookForTheDead ? 1 : 0]) { reply = $0 }
            _ = drive(loop) { reply != nil }
            guard case .array(let items)? = reply else { return nil }
            return items.compactMap(\.text)
        }

        /// Redis's clock, ms.
        func now() -> Int64 {
            guard case .array(let t)? = cmd(["TIME"]), t.count == 2,
                  let s = t[0].text.flatMap({ Int64($0) }), let us = t[1].text.flatMap({ Int64($0) }) else { return 0 }
            return s * 1000 + us / 1000
        }

        /// Records `id`'s last beat `ago` ms before Redis's now.
        func lastBeat(_ id: String, ago: Int64) {
            _ = cmd(["ZADD", key, .int(now() - ago), .string(id)])
        }

        /// How long ago `id`'s last beat was (nil: not in the set).
        func age(_ id: String) -> Int64? {
            cmd(["ZSCORE", key, .string(id)])?.text.flatMap { Double($0) }.map { now() - Int64($0) }
        }
    }

    @Test func aShardSilentForTheWindowIsReportedOnceToOneCaller() throws {
        let f = try Fixture()
        f.lastBeat("a", ago: 50)
        f.lastBeat("b", ago: 10_000)
        f.lastBeat("c", ago: 50)
        #expect(f.beat("a") == ["b"])
        #expect(f.age("b") == nil)
        #expect(f.beat("c") == [])
        #expect(f.beat("a") == [])
        #expect((f.age("a") ?? .max) < 1_000)
    }

    /// Redis stalled (or failed over) long enough that every beat is as old as a dead shard's
    /// would be: the first caller finds even the freshest beat that old and reports nobody,
    /// stamping the silent ones; the others then find everyone fresh. A shard that stays
    /// silent is reported one silence later.
    @Test func aSilenceEveryShardSharedReportsNobody() throws {
        let f = try Fixture()
        f.lastBeat("a", ago: 10_000)
        f.lastBeat("b", ago: 10_000)
        f.lastBeat("c", ago: 11_000)
        #expect(f.beat("a") == [])
        #expect((f.age("b") ?? .max) < 1_000 && (f.age("c") ?? .max) < 1_000)
        #expect(f.beat("b") == [])
        f.lastBeat("c", ago: 6_000)  // c stays silent
        #expect(f.beat("b") == ["c"])
    }

    /// A caller that cannot tell others' silence from its own reports nobody and stamps nobody
    /// else: a shard's first beat (just started, or reported dead itself after its own loop
    /// stalled) and a shard whose own last beat is that old. The healthy shard reports the dead
    /// one as it would have.
    @Test func aCallerSilentItselfReportsNobodyAndLeavesTheDeadForOthers() throws {
        let f = try Fixture()
        f.lastBeat("healthy", ago: 50)
        f.lastBeat("dead", ago: 10_000)
        f.lastBeat("stalled", ago: 10_000)
        #expect(f.beat("new") == [])
        #expect(f.beat("stalled") == [])
        #expect((f.age("new") ?? .max) < 1_000 && (f.age("stalled") ?? .max) < 1_000)
        #expect((f.age("dead") ?? 0) >= 9_000)
        #expect(f.beat("healthy") == ["dead"])
    }

    /// A draining shard beats but adopts nothing: the dead shard is left for another.
    @Test func aDrainingShardBeatsButReportsNobody() throws {
        let f = try Fixture()
        f.lastBeat("a", ago: 50)
        f.lastBeat("b", ago: 10_000)
        #expect(f.beat("a", lookForTheDead: false) == [])
        #expect((f.age("b") ?? 0) >= 9_000)
        f.lastBeat("c", ago: 50)
        #expect(f.beat("c") == ["b"])
    }
}
