import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import KKWire
import Testing

/// A player's trace reaches the realtime path as a field of the join: the game's match request
/// and its Hello carry one W3C trace (`SDKTrace`); kk-match records it in the match, the relay
/// logs the join and, after its relay dies, the resume on another relay under it; the shard logs
/// the match's creation and the join, and the shard that adopts the match after its owner dies
/// logs the adoption under it too.
@Suite(.serialized) struct JoinTraceTests {
    @Test func joinResumeAndAdoptionAreLoggedUnderThePlayersTrace() throws {
        let s = try StackProcesses("join-trace")
        defer { s.stopAll() }
        try s.shard("s1")
        let rA = try s.relay("rA")
        try s.relay("rB")
        let matchPort = Int(SystemTest.freePort())
        let match = try ChildProcess(path: SystemTest.product("kk-match"), arguments: [
            "--http-port", "\(matchPort)", "--redis-port", "\(s.redisPort)", "--key-prefix", s.prefix,
            "--dev-auth", "--players-per-match", "1", "--token-seconds", "120",
        ], environment: ["KK_TOKEN_KEY": s.key.hex], logPath: "\(s.dir)/match.log")
        defer { match.stop() }
        #expect(s.ready("s1") && s.ready("rA") && s.ready("rB"))
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: matchPort, path: "/readyz")?.status == 200 })
        // Both relays listed, rA first (the client starts there, resumes on rB).
        #expect(SystemTest.eventually(seconds: 10) {
            ((try? MatchService.requestMatch(baseURL: "http://127.0.0.1:\(matchPort)", player: "probe", accessToken: nil))?.token.relays.count ?? 0) == 2
        })

        let trace = TraceParent()
        let ticket = try SDKTrace.$current.withValue(trace) {
            try MatchService.requestMatch(baseURL: "http://127.0.0.1:\(matchPort)", player: "traced", accessToken: nil)
        }
        var token = ticket.token
        token.relays = ["127.0.0.1:\(s.udpPorts["rA"]!)", "127.0.0.1:\(s.udpPorts["rB"]!)"]
        let loop = try EventLoop()
        let client = try SDKTrace.$current.withValue(trace) {
            var config = ClientConfig()
            config.silenceTimeoutMillis = 20_000
            return try GameClient(loop: loop, token: token, config: config) { _, _ in .neutral }
        }
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && client.session.stats.framesReceived > 20 })
        let id = "trace_id=\(trace.traceId)"
        #expect(s.log("rA").contains("session join") && s.log("rA").contains(id), "relay log:\n\(s.log("rA").suffix(1500))")
        #expect(SystemTest.eventually(seconds: 3) { s.log("s1").contains("player joined") && s.log("s1").contains(id) },
                "shard log:\n\(s.log("s1").suffix(1500))")
        #expect(s.log("s1").split(separator: "\n").contains { $0.contains("match created") && $0.contains(id) })

        // Its relay dies: the resume on rB is logged under the same trace.
        rA.signal(SIGKILL)
        #expect(drive(loop, timeoutMillis: 10_000) { client.relayChanges == 1 && client.session.state == .playing })
        #expect(SystemTest.eventually(seconds: 3) { s.log("rB").split(separator: "\n").contains { $0.contains("session resume") && $0.contains(id) } },
                "relay B log:\n\(s.log("rB").suffix(1500))")

        // Its shard dies: the adopting shard logs the adoption under the match's trace.
        try s.shard("s2")
        #expect(s.ready("s2"))
        s.children["s1"]?.signal(SIGKILL)
        #expect(SystemTest.eventually(seconds: 15) {
            s.log("s2").split(separator: "\n").contains { $0.contains("adopted match") && $0.contains(id) }
        }, "s2 log:\n\(s.log("s2").suffix(2000))")
    }
}
