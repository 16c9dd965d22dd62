import Foundation
import KKLobby
import KKMatch
import KKRedis
import KKTestSupport
import KKToken
import Testing

/// A room's race starts in one private match for all its members (real Redis, the allocator's
/// scripts): never offered to strangers, on the room's track, one token per member.
@Suite(.serialized) struct RoomStarterTests {
    @Test func aRoomGetsOnePrivateMatchOnItsTrackAndATokenPerMember() async throws {
        let port = try RedisTestServer.port()
        let prefix = "rs\(UInt32.random(in: 0...UInt32.max)):"
        let redis = try #require(RedisSync(port: port))
        redis.run("HSET", prefix + "shard:s1", "addr", "127.0.0.1:9100", "capacity", "30", "matches", "0", "draining", "0")
        redis.run("PEXPIRE", prefix + "shard:s1", "60000")
        redis.run("SADD", prefix + "shards", "s1")
        let (stream, cont) = AsyncStream.makeStream(of: Bool.self)
        let bridge = try RedisCommandBridge(options: .init(port: port), onConnectionChange: { cont.yield($0) })
        defer { bridge.shutdown() }
        if !bridge.isConnected { for await up in stream where up { break } }
        let config = AllocatorConfig(keys: MatchKeys(prefix: prefix), playersPerMatch: 8, track: "oval")
        let key = try TokenKey.random()
        var starter = try RoomStarter(redis: bridge, config: config,
                                      matchConfig: MatchServiceConfig(tokenKey: key, tokenSeconds: 30, staticRelays: ["192.0.2.7:7000"]))
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let (match, tokens, unpinned) = try await starter.start(roomId: "room-a", players: [1, 2, 3], track: "canyon", attempt: "1", nowMillis: now)
        #expect(unpinned == nil)
        #expect(Set(tokens.keys) == [1, 2, 3])
        for (p, t) in tokens {
            #expect(t.matchId == match && t.playerId == UInt64(p) && t.relays == ["192.0.2.7:7000"])
            _ = try TokenValidator(keys: [key]).validate(text: t.sealed, now: now / 1000)
        }
        #expect(redis.run("HGET", prefix + "match:\(match)", "track") == "canyon")
        #expect(redis.run("HGET", prefix + "match:\(match)", "players") == "3")
        #expect(redis.run("SISMEMBER", prefix + "matches:open", "\(match)") == "0", "a room's match is not offered to strangers")
        // A stranger asking for any seat gets another match.
        let r = AllocatorRequest.allocate(playerId: 77, nowMillis: now, config: config)
        let stranger = try AllocatorRequest.parseAllocation(await bridge.script(r.source, keys: r.keys, args: r.args)).get()
        #expect(stranger.matchId != match)
        // With a version for the track, the allocation pins it (name@sha256) and says which.
        let sha = String(repeating: "ab", count: 32)
        starter.trackVersion = { $0 == "oval" ? sha : nil }
        let pinned = try await starter.start(roomId: "room-pinned", players: [4, 5], track: "oval", attempt: "1", nowMillis: now)
        #expect(pinned.trackSha256 == sha)
        #expect(redis.run("HGET", prefix + "match:\(pinned.matchId)", "track") == "oval@" + sha)
        // Starting again (a retry) finds the same match; a member seated elsewhere refuses a start.
        #expect(try await starter.start(roomId: "room-a", players: [1, 2, 3], track: "canyon", attempt: "2", nowMillis: now).matchId == match)
        await #expect(throws: MatchError.partyBusy) {
            try await starter.start(roomId: "room-b", players: [77, 78], track: "oval", attempt: "1", nowMillis: now)
        }
    }
}
