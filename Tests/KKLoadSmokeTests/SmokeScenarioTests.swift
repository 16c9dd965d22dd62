import Foundation
import KKLoad
import KKTestSupport
import Testing

/// The CI load smoke test: kk-load runs LoadTests/scenarios/smoke.json against kk-shard and
/// kk-relay processes it starts (and the test's redis-server), and the run must stay within
/// the scenario's loss, latency and error thresholds.
@Suite(.serialized) struct SmokeScenarioTests {
    /// Runs kk-load with `arguments` (plus the test redis-server, a report path, a log and bin
    /// dir) against a stack it spawns; returns its exit status, its log and the report's bytes.
    func kkLoad(_ name: String, _ arguments: [String]) throws -> (status: Int32?, log: String, report: Data) {
        let dir = SystemTest.tempDir("load-\(name)")
        let reportPath = "\(dir)/\(name).json"
        let p = try ChildProcess(path: SystemTest.product("kk-load"), arguments: arguments + [
            "--redis-port", "\(try RedisTestServer.port())", "--report", reportPath, "--log-dir", dir, "--bin-dir", binDir,
        ], logPath: "\(dir)/kk-load.log")
        let status = p.wait(seconds: 120)
        if status == nil { p.stop() }
        let log = (try? String(contentsOfFile: "\(dir)/kk-load.log", encoding: .utf8)) ?? ""
        let data = try #require(FileManager.default.contents(atPath: reportPath), "no report; kk-load log:\n\(log.suffix(3000))")
        return (status, log, data)
    }

    /// Runs a scenario file of LoadTests/scenarios; returns the parsed report.
    func run(_ file: String) throws -> (report: LoadReport, status: Int32?, log: String) {
        let scenario = SystemTest.packageRoot.appendingPathComponent("LoadTests/scenarios/\(file).json").path
        let r = try kkLoad(file, ["--scenario", scenario, "--spawn-stack"])
        return (try LoadReport.parse(r.report), r.status, r.log)
    }

    var binDir: String { URL(fileURLWithPath: SystemTest.product("kk-shard")).deletingLastPathComponent().path }

    @Test func smokeScenarioPassesItsThresholds() throws {
        let (report, status, log) = try run("smoke")
        let s = try #require(report.summary)
        print(String(format: "FIGURE load-smoke clients=%d latency-p50-ms=%.1f p99-ms=%.1f p999-ms=%.1f down-loss=%.4f up-loss=%.4f handshake-p99-ms=%.1f errors=%d",
                     report.gauges.started, s.latencyMillis.p50, s.latencyMillis.p99, s.latencyMillis.p999, s.downLoss, s.upLoss,
                     s.handshakeMillis.p99, s.errors))
        #expect(s.violations.isEmpty, "\(s.violations)\n\(log.suffix(3000))")
        #expect(status.map { ($0 >> 8) & 0xFF } == 0, "kk-load exit status \(String(describing: status))")
        #expect(report.gauges.started == report.clientsPlanned)
        #expect(s.latencyMillis.count > 1000)
    }

    /// Lean clients (the 5,000-client model) through the same stack.
    @Test func leanSmokeScenarioPassesItsThresholds() throws {
        let (report, status, log) = try run("smoke-lean")
        let s = try #require(report.summary)
        print(String(format: "FIGURE load-smoke-lean clients=%d playing=%d latency-p50-ms=%.1f p99-ms=%.1f down-loss=%.4f up-loss=%.4f",
                     report.gauges.started, report.gauges.playing, s.latencyMillis.p50, s.latencyMillis.p99, s.downLoss, s.upLoss))
        #expect(s.violations.isEmpty, "\(s.violations)\n\(log.suffix(3000))")
        #expect(status.map { ($0 >> 8) & 0xFF } == 0)
        #expect(report.gauges.started == 200 && s.errors == 0)
        #expect(report.counters.framesReceived > 200 * 20 * 3)
        #expect(report.counters.inputChecks > 0, "uplink loss was not measured from the shard's counter")
    }

    /// `kk-load maxpps` at two low levels: both hold, and the report says so.
    @Test func maxPpsRampHoldsLowLevels() throws {
        let (_, log, data) = try kkLoad("maxpps", [
            "maxpps", "--levels", "1200 2400", "--bisect", "0", "--settle-seconds", "1.5", "--window-seconds", "2", "--max-seconds", "90",
        ])
        struct Out: Decodable { var maxHeldPps: Double?; var levels: [PpsLevel] }
        let out = try JSONDecoder().decode(Out.self, from: data)
        print("FIGURE maxpps-smoke \(out.levels.map { String(format: "%.0f pps: up loss %.4f, relay %.1f µs/datagram", $0.offeredPps, $0.upLoss, $0.relayMicrosPerDatagram) })")
        #expect(out.levels.count == 2)
        #expect(out.maxHeldPps == 2400, "\(log.suffix(3000))")
        #expect(out.levels.allSatisfy { $0.inputsAppliedPerSecond > 0 && $0.framesReceivedPerSecond > 0 })
    }
}
