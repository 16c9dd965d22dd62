import Foundation
import KKLocalStack
import KKTestSupport
import Testing

/// Ops/prometheus: the recording and alert rules pass `promtool check rules`, their unit tests
/// (`rules_test.yml`: each alert pending, firing and quiet with its labels and annotations, the
/// recorded drop ratio and input -> frame p99) pass `promtool test rules`, and both checks are
/// live: a broken expression and a wrong threshold are caught. Every alert is tested and every
/// runbook anchor the alerts link to exists.
@Suite struct PrometheusRulesTests {
    var dir: URL { SystemTest.packageRoot.appendingPathComponent("Ops/prometheus") }

    func promtool(_ args: [String], in cwd: String, name: String) throws -> (Int32?, String) {
        let log = "\(cwd)/\(name).log"
        let p = try ChildProcess(path: "/bin/sh", arguments: ["-c", "cd '\(cwd)' && exec /usr/bin/promtool \"$@\"", "promtool"] + args, logPath: log)
        let status = p.wait(seconds: 60).map { ($0 >> 8) & 0xff }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test func rulesCheckAndTheirUnitTestsPass() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool missing (Debian's prometheus package; install-deps installs it)")
        let tmp = SystemTest.tempDir("kk-promtool")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for f in ["rules.yml", "rules_test.yml"] {
            try FileManager.default.copyItem(atPath: dir.appendingPathComponent(f).path, toPath: "\(tmp)/\(f)")
        }
        let (c, cout) = try promtool(["check", "rules", "rules.yml"], in: tmp, name: "check")
        #expect(c == 0 && cout.contains("SUCCESS: 11 rules found"), "\(cout)")
        let (t, tout) = try promtool(["test", "rules", "rules_test.yml"], in: tmp, name: "test")
        #expect(t == 0 && tout.contains("SUCCESS"), "\(tout)")
        // Every alert has a test, and every runbook anchor exists.
        let rules = try String(contentsOfFile: "\(tmp)/rules.yml", encoding: .utf8)
        let tests = try String(contentsOfFile: "\(tmp)/rules_test.yml", encoding: .utf8)
        let runbook = try String(contentsOf: SystemTest.packageRoot.appendingPathComponent("docs/RUNBOOK.md"), encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "- alert: ") else { return nil }
            return String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        #expect(alerts.count == 6, "\(alerts)")
        for a in alerts { #expect(tests.contains("alertname: \(a)"), "no test fires \(a)") }
        for anchor in ["relay-down", "not-ready", "drops", "latency", "tick-overrun", "redis"] {
            #expect(rules.contains("RUNBOOK.md#\(anchor)") && runbook.contains("### \(anchor)"), "\(anchor)")
        }
        // Live: a broken expression fails the check, a wrong threshold fails the tests.
        try rules.replacingOccurrences(of: "up{job=\"kk-relay\"} == 0", with: "up{job=\"kk-relay\" == 0")
            .write(toFile: "\(tmp)/rules.yml", atomically: true, encoding: .utf8)
        let (bc, bout) = try promtool(["check", "rules", "rules.yml"], in: tmp, name: "check-broken")
        #expect(bc != 0 && bout.contains("rules.yml"), "\(bout)")
        try rules.replacingOccurrences(of: "kk:relay_drop_ratio:rate1m > 0.05", with: "kk:relay_drop_ratio:rate1m > 0.5")
            .write(toFile: "\(tmp)/rules.yml", atomically: true, encoding: .utf8)
        let (bt, btout) = try promtool(["test", "rules", "rules_test.yml"], in: tmp, name: "test-wrong")
        #expect(bt != 0 && btout.contains("KartKlashRelayDropRate"), "\(btout)")
    }
}
