import Foundation
import Glibc
import KKLocalStack
import KKTestSupport
import Testing

/// Anycast POP failover over real BGP (Ops/anycast/netns-test.sh): in network namespaces it
/// creates, a client host, a BIRD 2 router and two POPs whose BIRD speakers announce one
/// service address while their kk-relay is ready (Ops/anycast/bird-healthcheck.sh), with the
/// shard and Redis behind the router. Bots race through the anycast address on POP A; then POP A
/// is drained (the route is withdrawn, the relay tells its sessions to move) or its relay is
/// killed (the route is withdrawn, the clients notice the silence): every client resumes on POP
/// B at the same address, none fails. Figures (route withdrawal, resume stall p50/max, inputs
/// lost) are printed as FIGURE lines; the verdict never depends on the machine's speed.
@Suite(.serialized) struct AnycastNetnsTests {
    /// Whether this machine lets us create a network namespace (root, iproute2, bird2).
    static let available: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/bird") || FileManager.default.isExecutableFile(atPath: "/usr/bin/bird")
        else { return false }
        let name = "kkprobe\(getpid())"
        guard let add = try? ChildProcess(path: "/usr/sbin/ip", arguments: ["netns", "add", name]), add.wait(seconds: 10) == 0 else { return false }
        _ = (try? ChildProcess(path: "/usr/sbin/ip", arguments: ["netns", "del", name]))?.wait(seconds: 10)
        return true
    }()

    struct Result: Decodable {
        var mode: String
        var routeWithdrawalMillis: Int
        var playingOnABefore: Int
        var resumes: Int
        var resumeStallMillisP50: Double
        var resumeStallMillisMax: Double
        var inputsLost: Int
        var inputsChecked: Int
        var clientsFailed: Int
        var clientsStarted: Int
    }

    func run(_ mode: String) throws -> Result {
        let dir = SystemTest.tempDir("kk-anycast-\(mode)")
        let bin = URL(fileURLWithPath: SystemTest.product("kk-relay")).deletingLastPathComponent().path
        let p = try ChildProcess(path: "/bin/bash", arguments: [SystemTest.packageRoot.appendingPathComponent("Ops/anycast/netns-test.sh").path, mode, dir],
                                 environment: ["KK_BIN": bin], logPath: "\(dir)/run.log")
        let status = p.wait(seconds: 180)
        if status == nil { p.stop() }
        let log = (try? String(contentsOfFile: "\(dir)/run.log", encoding: .utf8)) ?? ""
        #expect(status.map { ($0 >> 8) & 0xff } == 0, "\(mode): \(log.suffix(3000))")
        let line = try #require(log.split(separator: "\n").last { $0.hasPrefix("{") }, "\(mode): no result:\n\(log.suffix(3000))")
        let r = try JSONDecoder().decode(Result.self, from: Data(line.utf8))
        print("FIGURE anycast-\(mode) route withdrawal \(r.routeWithdrawalMillis) ms, resume stall p50 \(r.resumeStallMillisP50) ms max \(r.resumeStallMillisMax) ms, "
              + "\(r.resumes) resumes, inputs lost \(r.inputsLost) of \(r.inputsChecked), \(r.clientsFailed) failed")
        return r
    }

    @Test(.enabled(if: AnycastNetnsTests.available, "network namespaces cannot be created here (needs root, iproute2 and bird2)"),
          arguments: ["drain", "kill"])
    func clientsFollowTheRouteToTheOtherPop(mode: String) throws {
        let r = try run(mode)
        #expect(r.clientsStarted == 16 && r.playingOnABefore == 16, "all bots raced on POP A first: \(r)")
        #expect(r.routeWithdrawalMillis >= 0 && r.routeWithdrawalMillis < 5_000, "the router moved the route to POP B: \(r)")
        #expect(r.resumes >= 16, "every client resumed on POP B: \(r)")
        #expect(r.clientsFailed == 0, "\(r)")
        #expect(r.inputsChecked > r.inputsLost, "\(r)")
    }
}
