import Foundation
import KKLocalStack
import KKTestSupport
import Testing

/// The systemd units of Ops/systemd, checked offline: `systemd-analyze verify` (with ExecStart
/// pointed at the built binaries, so the command line is checked too; nothing may be reported)
/// and `systemd-analyze security --offline=yes` (the exposure score must stay at or below 2.0,
/// "OK"; every unit shares one sandbox block). A misspelt directive is reported, so the check
/// is live.
@Suite struct SystemdUnitsTests {
    static let units = ["kk-match.service", "kk-relay.service", "kk-shard@.service", "kk-services.service"]

    func analyze(_ args: [String], dir: String, name: String) throws -> (Int32?, String) {
        let p = try ChildProcess(path: "/usr/bin/systemd-analyze", arguments: args, logPath: "\(dir)/\(name).log")
        let status = p.wait(seconds: 60).map { ($0 >> 8) & 0xff }
        return (status, (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .utf8)) ?? "")
    }

    /// The unit with `/usr/local/bin/<binary>` replaced by the built binary's path, in `dir`.
    func prepared(_ unit: String, dir: String, extra: String = "") throws -> String {
        var text = try String(contentsOf: SystemTest.packageRoot.appendingPathComponent("Ops/systemd/\(unit)"), encoding: .utf8)
        for binary in ["kk-match", "kk-relay", "kk-shard", "kk-services"] {
            text = text.replacingOccurrences(of: "/usr/local/bin/\(binary) ", with: SystemTest.product(binary) + " ")
        }
        if !extra.isEmpty { text = text.replacingOccurrences(of: "[Service]\n", with: "[Service]\n\(extra)\n") }
        let path = "\(dir)/\(unit)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func unitsVerifyAndScoreOK() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze missing (Debian's systemd package)")
        let dir = SystemTest.tempDir("kk-systemd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for unit in Self.units {
            let path = try prepared(unit, dir: dir)
            let (status, out) = try analyze(["verify", path], dir: dir, name: "verify-\(unit)")
            #expect(status == 0 && out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(unit): \(out)")
            let (_, security) = try analyze(["security", "--offline=yes", path], dir: dir, name: "security-\(unit)")
            let line = security.split(separator: "\n").first { $0.contains("Overall exposure level") }.map(String.init) ?? ""
            let score = line.split(separator: ":").last.flatMap { Double($0.split(separator: " ").first ?? "") }
            #expect(score != nil && score! <= 2.0, "\(unit): \(line.isEmpty ? security : line)")
            print("FIGURE systemd-analyze security \(unit): \(score.map { String($0) } ?? "?")")
        }
        let broken = try prepared("kk-match.service", dir: dir, extra: "ProtectSystm=strict")
        let (_, out) = try analyze(["verify", broken], dir: dir, name: "verify-broken")
        #expect(out.contains("ProtectSystm"), "a misspelt directive is reported: \(out)")
    }
}
