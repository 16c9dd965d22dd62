import Foundation
import KKLoop
import KKMatch
import KKRedis
import Testing

@Suite struct AllocatorTests {
    /// 200 players at once through two bridges (two connections, two loop threads): exactly 25
    /// full matches of 8 distinct players, nobody in two matches.
    @Test func concurrentPlayersFillExactMatches() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        fx.addShard("s2")
        let bridges = [try await fx.bridge(), try await fx.bridge()]
        defer { bridges.forEach { $0.shutdown() } }

        let results = try await withThrowingTaskGroup(of: (UInt64, Allocation, Double).self) { group in
            for p in 1...200 {
                let b = bridges[p % 2]
                group.addTask {
                    let t0 = monotonicNanos()
                    let a = try await b.allocate(playerId: UInt64(p))
                    return (UInt64(p), a, Double(monotonicNanos() - t0) / 1e6)
                }
            }
            var out: [(UInt64, Allocation, Double)] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(results.count == 200)
        let byMatch = Dictionary(grouping: results, by: { $0.1.matchId })
        #expect(byMatch.count == 25)
        for (mid, members) in byMatch {
            #expect(members.count == 8)
            #expect(Set(members.map(\.0)).count == 8)
            #expect(Set(members.map(\.1.slot)) == Set(0..<8))
            #expect(Set(members.map(\.1.shardId)).count == 1)
            #expect(fx.text("HGET", fx.keys.match(mid), "players") == "8")
            #expect(fx.int("HLEN", fx.keys.matchPlayers(mid)) == 8)
        }
        #expect(Set(results.map(\.0)).count == 200)
        #expect(results.filter { $0.1.kind == .created }.count == 25)
        #expect(fx.int("SCARD", fx.keys.openMatches) == 0)
        #expect(fx.int("SCARD", fx.keys.activeMatches) == 25)
        // Consecutive ids, the last one the sequence's.
        let ids = byMatch.keys.sorted()
        #expect(ids.last.map { "\($0)" } == fx.text("GET", fx.keys.matchSeq))
        #expect(ids.last! - ids.first! == 24)
        // Least loaded: both shards got new matches.
        let perShard = Dictionary(grouping: byMatch.values.map { $0[0].1.shardId }, by: { $0 }).mapValues(\.count)
        #expect(perShard.keys.sorted() == ["s1", "s2"])
        let lat = results.map(\.2).sorted()
        print("allocation latency (200 concurrent, 2 bridges): p50 \(quantile(lat, 0.5)) ms, p99 \(quantile(lat, 0.99)) ms, max \(lat.last!) ms")
        let stats = bridges.map(\.snapshot)
        #expect(stats.map(\.allocated).reduce(0, +) == 200)
        #expect(stats.map(\.scriptFallbacks) == [0, 0])  // preloaded on connect
        // For comparison: one request at a time (no queueing behind a burst).
        var serial: [Double] = []
        for p in 1001...1040 {
            let t0 = monotonicNanos()
            _ = try await bridges[0].allocate(playerId: UInt64(p))
            serial.append(Double(monotonicNanos() - t0) / 1e6)
        }
        serial.sort()
        print("allocation latency (one at a time): p50 \(quantile(serial, 0.5)) ms, p99 \(quantile(serial, 0.99)) ms")
    }

    @Test func playerAskingTwiceGetsTheSameMatch() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge()
        defer { b.shutdown() }
        let first = try await b.allocate(playerId: 7)
        let other = try await b.allocate(playerId: 8)
        let again = try await b.allocate(playerId: 7)
        #expect(first.kind == .created)
        #expect(other.kind == .joined && other.matchId == first.matchId && other.slot == 1)
        #expect(again == Allocation(matchId: first.matchId, shardId: "s1", slot: 0, kind: .existing))
        #expect(fx.text("HGET", fx.keys.match(first.matchId), "players") == "2")
        // Once the match is over, the player gets a new one.
        fx.cmd("HSET", fx.keys.match(first.matchId), "state", "over")
        let next = try await b.allocate(playerId: 7)
        #expect(next.matchId != first.matchId)
    }

    /// A player whose pointer expired while their match still waits for players keeps their slot.
    @Test func expiredPointerInAnOpenMatchKeepsTheSlot() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge()
        defer { b.shutdown() }
        let a = try await b.allocate(playerId: 5)
        _ = try await b.allocate(playerId: 6)
        fx.cmd("DEL", fx.keys.playerMatch(5))
        #expect(try await b.allocate(playerId: 5) == Allocation(matchId: a.matchId, shardId: "s1", slot: 0, kind: .existing))
        #expect(fx.text("HGET", fx.keys.match(a.matchId), "players") == "2")
        #expect(fx.text("GET", fx.keys.playerMatch(5)) == "\(a.matchId)")
    }

    @Test func newMatchWritesTheDocumentedKeys() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge()
        defer { b.shutdown() }
        let a = try await b.allocate(playerId: 99)
        let mk = fx.keys.match(a.matchId)
        #expect(fx.cmd("HMGET", mk, "shard", "slots", "players", "state", "track")
            == .array(["s1", "8", "1", "open", "oval"].map { .string(Array($0.utf8)) }))
        #expect(fx.text("GET", fx.keys.matchOwner(a.matchId)) == "s1")
        #expect((fx.int("PTTL", fx.keys.matchOwner(a.matchId)) ?? 0) > 0)
        #expect(fx.text("GET", fx.keys.matchEpoch(a.matchId)) == "1")
        #expect(fx.text("GET", fx.keys.playerMatch(99)) == "\(a.matchId)")
        #expect((fx.int("PTTL", fx.keys.playerMatch(99)) ?? 0) > 0)
        #expect(fx.int("SISMEMBER", fx.keys.openMatches, "\(a.matchId)") == 1)
        #expect(fx.int("SISMEMBER", fx.keys.activeMatches, "\(a.matchId)") == 1)
        #expect(fx.int("ZCARD", fx.keys.shardPending("s1")) == 1)
    }

    /// Redis restarted empty while a match ran on its shard: the sequence starts again from the
    /// clock (unix ms x 10), so a new match never takes a running one's id.
    @Test func matchIdsDoNotRepeatAfterRedisLostItsData() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge()
        defer { b.shutdown() }
        let before = UInt64(Date().timeIntervalSince1970 * 1000) * 10
        let first = try await b.allocate(playerId: 1).matchId
        #expect(first > before && first < before + 1_000_000, "the sequence starts from the clock: \(first) vs \(before)")
        let second = try await b.allocate(playerId: 2).matchId  // same open match
        #expect(second == first)
        // What a Redis restarted empty leaves (a restart takes longer than the clock's millisecond).
        while UInt64(Date().timeIntervalSince1970 * 1000) <= first / 10 { usleep(200) }
        fx.cmd("DEL", fx.keys.matchSeq)
        fx.cmd("DEL", fx.keys.playerMatch(3))
        fx.cmd("SREM", fx.keys.openMatches, "\(first)")
        let third = try await b.allocate(playerId: 3).matchId
        #expect(third > first, "a new match after the sequence was lost: \(third), the running one: \(first)")
        #expect("\(third)".count == 14)
    }

    @Test func noLiveShardIsRefused() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let b = try await fx.bridge()
        defer { b.shutdown() }
        await #expect(throws: MatchError.noShardAvailable) { try await b.allocate(playerId: 1) }
    }

    /// A match pinned to a track version goes only to a shard that lists that hash; none: no
    /// shard (the lobby says the race could not be placed); a shard listing nothing (older) may.
    @Test func aPinnedTrackGoesOnlyToAShardThatHasIt() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let (h1, h2) = (String(repeating: "a1", count: 32), String(repeating: "b2", count: 32))
        fx.addShard("without", tracks: [h2])
        let b = try await fx.bridge(playersPerMatch: 1, track: "oval@" + h1)
        defer { b.shutdown() }
        await #expect(throws: MatchError.noShardAvailable) { try await b.allocate(playerId: 1) }
        fx.addShard("with", capacity: 1, tracks: [h2, h1])
        #expect(try await b.allocate(playerId: 2).shardId == "with")
        fx.addShard("older")
        #expect(try await b.allocate(playerId: 3).shardId == "older", "\"with\" is full; a shard listing no tracks predates the field")
        let byName = try await fx.bridge(playersPerMatch: 1)
        defer { byName.shutdown() }
        fx.cmd("DEL", fx.keys.shard("older"))
        #expect(try await byName.allocate(playerId: 4).shardId == "without", "a name alone goes anywhere")
    }

    @Test func drainingShardGetsNothing() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("drainer", draining: true)
        let b = try await fx.bridge(playersPerMatch: 1)
        defer { b.shutdown() }
        await #expect(throws: MatchError.noShardAvailable) { try await b.allocate(playerId: 1) }
        fx.addShard("live")
        for p in 2...6 { #expect(try await b.allocate(playerId: UInt64(p)).shardId == "live") }
    }

    @Test func expiredShardIsPrunedAndNotChosen() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("live")
        fx.cmd("SADD", fx.keys.shards, "dead")  // its hash expired
        let b = try await fx.bridge()
        defer { b.shutdown() }
        #expect(try await b.allocate(playerId: 1).shardId == "live")
        #expect(fx.int("SISMEMBER", fx.keys.shards, "dead") == 0)
        #expect(fx.int("SISMEMBER", fx.keys.shards, "live") == 1)
    }

    /// Capacity counts hosted matches plus matches allocated but not yet hosted.
    @Test func capacityCountsPendingMatches() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("small", capacity: 2, matches: 1)
        let b = try await fx.bridge(playersPerMatch: 2)
        defer { b.shutdown() }
        let a = try await b.allocate(playerId: 1)
        #expect(try await b.allocate(playerId: 2).matchId == a.matchId)  // fills it
        await #expect(throws: MatchError.noShardAvailable) { try await b.allocate(playerId: 3) }
        // The shard starts hosting it: heartbeat counts it and drops it from pending; still full.
        fx.cmd("HSET", fx.keys.shard("small"), "matches", "2")
        fx.cmd("ZREM", fx.keys.shardPending("small"), "\(a.matchId)")
        await #expect(throws: MatchError.noShardAvailable) { try await b.allocate(playerId: 3) }
        fx.cmd("HSET", fx.keys.shard("small"), "matches", "1")
        #expect(try await b.allocate(playerId: 3).kind == .created)
    }

    /// An open match whose shard's registration lapsed (it died: the match waits for adoption)
    /// takes no new players. A new match gets its owner lease and first epoch.
    @Test func openMatchOfADeadShardIsSkipped() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge()
        defer { b.shutdown() }
        let a = try await b.allocate(playerId: 1)
        #expect(fx.text("GET", fx.keys.matchOwner(a.matchId)) == "s1")
        #expect(fx.text("GET", fx.keys.matchEpoch(a.matchId)) == "1")
        fx.cmd("DEL", fx.keys.shard("s1"))
        fx.addShard("s2")
        let c = try await b.allocate(playerId: 2)
        #expect(c.matchId != a.matchId && c.kind == .created && c.shardId == "s2")
        #expect(fx.int("SISMEMBER", fx.keys.openMatches, "\(a.matchId)") == 0)
        #expect(fx.int("SISMEMBER", fx.keys.activeMatches, "\(a.matchId)") == 1)
    }

    /// With Redis down the bridge refuses at once (it does not wait for a reconnect).
    @Test func redisDownIsRefusedAtOnce() async throws {
        let fx = try Fixture()
        let b = try await fx.bridge(port: 1, awaitConnected: false)  // nothing listens on port 1
        defer { b.shutdown() }
        await #expect(throws: MatchError.redisUnavailable(.disconnected)) { try await b.allocate(playerId: 1) }
        #expect(b.snapshot.refusedDisconnected == 1)
    }

    @Test func shutdownRefusesNewRequests() async throws {
        let fx = try Fixture()
        let b = try await fx.bridge()
        b.shutdown()
        b.shutdown()
        await #expect(throws: MatchError.shuttingDown) { try await b.allocate(playerId: 1) }
        #expect(!b.isRedisConnected)
    }
}
