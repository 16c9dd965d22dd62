import Foundation
import KKLocalStack
import KKTestSupport
import Testing

/// Ops/k8s, offline: every manifest passes `Ops/k8s/validate.py` (core kinds against
/// kubernetes-validate's bundled Kubernetes 1.37 schemas, strict; the Agones Fleet and
/// FleetAutoscaler against the documented schema subsets in Ops/k8s/schemas plus the fleet's pod
/// template as a Pod; the autoscaler names the fleet), the check is live (misspelt fields, a
/// bad enum, a wrong type, a dangling fleet name are each reported), every flag the manifests
/// pass to our binaries is one the binary accepts, and the shard's ConfigMap is Config/shard.json.
@Suite struct K8sManifestsTests {
    var python: String { (ProcessInfo.processInfo.environment["KK_PYENV"] ?? "/var/tmp/kk-pyenv") + "/bin/python" }

    func validate(_ dir: String, logDir: String, name: String) throws -> (Int32?, String) {
        let log = "\(logDir)/\(name).log"
        let p = try ChildProcess(path: python, arguments: ["\(dir)/validate.py", "--print-commands"], logPath: log)
        let status = p.wait(seconds: 120).map { ($0 >> 8) & 0xff }
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    func helpText(_ binary: String, _ sub: [String]) throws -> String {
        let log = SystemTest.tempDir("kk-help") + "/help.log"
        let p = try ChildProcess(path: SystemTest.product(binary), arguments: sub + ["--help"], logPath: log)
        _ = p.wait(seconds: 30)
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }

    @Test func manifestsValidateOfflineAndMatchTheBinaries() throws {
        try #require(FileManager.default.isExecutableFile(atPath: python), "python venv \(python) missing (install-deps makes it)")
        let k8s = SystemTest.packageRoot.appendingPathComponent("Ops/k8s").path
        let tmp = SystemTest.tempDir("kk-k8s")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let (status, out) = try validate(k8s, logDir: tmp, name: "valid")
        #expect(status == 0, "\(out)")
        for resource in ["Deployment/kk-match", "Service/kk-match", "DaemonSet/kk-relay", "ConfigMap/kk-shard-config",
                         "Fleet/kk-shard", "FleetAutoscaler/kk-shard-autoscaler"] {
            #expect(out.contains("ok    ") && out.split(separator: "\n").contains { $0.hasPrefix("ok ") && $0.hasSuffix(resource) }, "\(resource): \(out)")
        }
        // Every --flag given to a binary of ours is one it accepts.
        struct Command: Decodable { var resource: String; var container: String?; var argv: [String] }
        let line = try #require(out.split(separator: "\n").first { $0.hasPrefix("commands: ") })
        let commands = try JSONDecoder().decode([Command].self, from: Data(line.dropFirst("commands: ".count).utf8))
        #expect(commands.count == 3, "\(commands.map(\.resource))")
        for c in commands {
            let binary = try #require(c.argv.first.map { URL(fileURLWithPath: $0).lastPathComponent })
            let sub = c.argv.count > 1 && !c.argv[1].hasPrefix("-") ? [c.argv[1]] : []
            let help = try helpText(binary, sub)
            #expect(help.contains("USAGE"), "\(binary) \(sub): \(help.prefix(300))")
            for flag in c.argv where flag.hasPrefix("--") {
                #expect(help.contains(flag + " ") || help.contains(flag + "\n") || help.contains(flag + ","), "\(c.resource): \(binary) has no \(flag)")
            }
        }
        // The shard's ConfigMap carries Config/shard.json.
        let configMap = try String(contentsOfFile: "\(k8s)/shard-config.yaml", encoding: .utf8)
        let embedded = configMap.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.contains("shard.json: |") }.dropFirst().map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
            .joined(separator: "\n")
        let shipped = try Data(contentsOf: SystemTest.packageRoot.appendingPathComponent("Config/shard.json"))
        let a = try JSONSerialization.jsonObject(with: Data(embedded.utf8)) as? NSDictionary
        let b = try JSONSerialization.jsonObject(with: shipped) as? NSDictionary
        #expect(a != nil && a == b, "shard-config.yaml's shard.json differs from Config/shard.json")

        // Live: broken copies are reported, each with its reason.
        for f in try FileManager.default.contentsOfDirectory(atPath: k8s) {
            try FileManager.default.copyItem(atPath: "\(k8s)/\(f)", toPath: "\(tmp)/\(f)")
        }
        func edit(_ file: String, _ from: String, _ to: String) throws {
            let path = "\(tmp)/\(file)"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains(from), "\(file) lacks \(from)")
            try text.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try edit("shard-fleet.yaml", "portPolicy: Dynamic", "portPolicy: Dynamc")
        try edit("shard-fleet.yaml", "failureThreshold: 3", "failureTreshold: 3")
        try edit("shard-fleet.yaml", "terminationGracePeriodSeconds: 120", "terminationGracePeriodSecond: 120")
        try edit("shard-fleetautoscaler.yaml", "fleetName: kk-shard", "fleetName: kk-shards")
        try edit("match-deployment.yaml", "replicas: 2", "replicas: \"two\"")
        let (bad, badOut) = try validate(tmp, logDir: tmp, name: "broken")
        #expect(bad == 1, "\(badOut)")
        for reason in ["'Dynamc' is not one of", "'failureTreshold' was unexpected", "'terminationGracePeriodSecond' was unexpected",
                       "fleetName 'kk-shards' is not a Fleet", "'two' is not of type 'integer'"] {
            #expect(badOut.contains(reason), "not reported: \(reason)\n\(badOut)")
        }
    }
}
