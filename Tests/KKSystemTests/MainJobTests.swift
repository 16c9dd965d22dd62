import Foundation
import Glibc
import KKLocalStack
import KKTestSupport
import Testing

/// The README's first command, short (the test build's binaries, 8 bots, a few seconds of
/// racing): every process of the stack comes up on free ports, the bots meet in the lobby and
/// race, the fault demo kills a relay and a shard and the clients resume, the JSON summary is
/// written, nothing is left running; a second run right after works too (no port clash).
@Suite(.serialized) struct MainJobTests {
    @Test func theMainJobRunsTwiceWithTheFaultDemoAndLeavesNothingBehind() throws {
        let bin = URL(fileURLWithPath: SystemTest.product("kk-load")).deletingLastPathComponent().path
        for round in 1...2 {
            let dir = SystemTest.tempDir("kk-main-job-\(round)")
            let summaryPath = "\(dir)/summary.json"
            let p = try ChildProcess(path: "/bin/bash", arguments: [SystemTest.packageRoot.appendingPathComponent("Ops/scripts/demo.sh").path],
                                     environment: ["KK_BIN": bin, "DEMO_CLIENTS": "8", "DEMO_SECONDS": "10", "DEMO_SKIP_INSTALL": "1",
                                                   "DEMO_SUMMARY": summaryPath, "DEMO_FAULTS": round == 1 ? "1" : "0"],
                                     logPath: "\(dir)/demo.log")
            let status = p.wait(seconds: 300)
            if status == nil { p.stop() }
            let log = (try? String(contentsOfFile: "\(dir)/demo.log", encoding: .utf8)) ?? ""
            #expect(status.map { ($0 >> 8) & 0xff } == 0, "round \(round): \(log.suffix(3000))")
            #expect(log.contains("demo: stopped"), "round \(round)")
            let data = try #require(FileManager.default.contents(atPath: summaryPath), "no summary:\n\(log.suffix(3000))")
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let processes = try #require(summary["processes"] as? [String: Int])
            #expect(Set(processes.keys).isSuperset(of: ["redis", "shard-1", "shard-2", "relay-1", "relay-2", "coturn", "moto", "nginx",
                                                        "kk-services", "kk-match"]), "\(processes.keys.sorted())")
            for (name, pid) in processes {
                #expect(kill(pid_t(pid), 0) != 0 && errno == ESRCH, "round \(round): \(name) (pid \(pid)) still running")
            }
            let report = try #require(summary["report"] as? [String: Any], "round \(round): no load report")
            let counters = try #require(report["counters"] as? [String: Any])
            #expect((counters["handshakes"] as? Int ?? 0) >= 8 && (counters["framesReceived"] as? Int ?? 0) > 0, "round \(round): \(counters)")
            let faults = report["faults"] as? [[String: Any]] ?? []
            if round == 1 {
                #expect(Set(faults.compactMap { $0["target"] as? String }).count == 2, "a relay and a shard killed: \(faults)")
                #expect((counters["resumes"] as? Int ?? 0) > 0, "the relay's clients resumed elsewhere: \(counters)")
            } else {
                #expect(faults.isEmpty)
            }
        }
    }
}
