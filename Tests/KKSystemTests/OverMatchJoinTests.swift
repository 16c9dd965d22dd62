import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKTestSupport
import KKToken
import Testing

/// A join for a race that is over and no longer hosted (a player resuming through another relay
/// after its relay died, as the race ended): the shard refuses it with "match over" and never
/// creates the match again (found by the soak: the match was re-created fresh, then dropped at
/// its next lease renewal, and the player waited until its join timed out).
@Suite struct OverMatchJoinTests {
    @Test func aJoinForAMatchThatIsOverEndsWithMatchOverAndCreatesNothing() throws {
        let stack = try ClientStack("over-join", match: 971)
        defer { stack.stop() }
        let s = stack.s
        let over: UInt64 = 972
        let redis = try #require(RedisSync(port: s.redisPort))
        // What the directory holds after a race ended on s1: the hash says over, the lease is gone.
        redis.run("HSET", s.prefix + "match:\(over)", "shard", "s1", "state", "over", "slots", "1", "players", "1")
        let token = try TokenIssuer(key: s.key).issue(playerId: 9_720, matchId: over, now: UInt64(time(nil)), validSeconds: 300,
                                                      relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
        let loop = try EventLoop()
        let client = try GameClient(loop: loop, token: token, config: stack.clientConfig) { _, _ in .neutral }
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state.isEnded },
                "state \(client.session.state); shard log:\n\(s.log("s1").suffix(1500))")
        #expect(client.session.state == .ended(.server(.matchOver)), "\(client.session.state)")
        let status = SystemTest.http(port: s.adminPorts["s1"]!, path: "/status")?.body ?? ""
        #expect(!status.contains("\(over)"), "the shard hosts the over match again: \(status)")
        #expect(SystemTest.eventually(seconds: 5) { (s.metric("s1", "kk_shard_joins_total{result=\"refused\"}") ?? 0) >= 1 })
    }
}
