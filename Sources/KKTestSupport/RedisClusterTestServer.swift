import Foundation
import Glibc

/// A real Redis Cluster for a test: 3 primaries + 3 replicas on loopback ports, started by
/// `Ops/scripts/redis-cluster-local.sh` (node timeout 1 s, replicas synced before it returns),
/// stopped by pid in ``stop()``.
public final class RedisClusterTestServer {
    /// Node ports; `ports[0]` is the seed the processes are given.
    public let ports: [Int]
    public private(set) var pids: [Int32]
    public let dir: String

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public init() throws {
        let script = SystemTest.packageRoot.appendingPathComponent("Ops/scripts/redis-cluster-local.sh").path
        var lastError = ""
        for _ in 0..<3 {  // a random base port may be taken
            let text = Self.output("/bin/bash", [script], seconds: 30)
            lastError = text
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            let f = last.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            if f.count == 3, let first = f[0].split(separator: ",").first, Int(first) != nil {
                ports = f[0].split(separator: ",").compactMap { Int($0) }
                pids = f[1].split(separator: ",").compactMap { Int32($0) }
                dir = f[2]
                return
            }
        }
        throw StartError(description: "redis cluster did not start: \(lastError)")
    }

    /// `redis-cli -p port args...`'s output (redis-cli exits 0 on error replies: read the text).
    public func cli(_ port: Int, _ args: String...) -> String { run(port, args, input: nil) }

    /// Commands sent on one connection (one per line), e.g. `READONLY` then a read on a replica.
    public func cli(_ port: Int, lines: [String]) -> String { run(port, [], input: lines.joined(separator: "\n") + "\n") }

    private func run(_ port: Int, _ args: [String], input: String?) -> String {
        if let input {
            let quoted = input.replacingOccurrences(of: "'", with: "")
            return Self.output("/bin/bash", ["-c", "printf '\(quoted)' | /usr/bin/redis-cli -p \(port)"], seconds: 10)
        }
        return Self.output("/usr/bin/redis-cli", ["-p", "\(port)"] + args, seconds: 10)
    }

    /// Runs a program to its end (bounded) and returns what it printed (stdout and stderr).
    static func output(_ path: String, _ args: [String], seconds: Double) -> String {
        let log = "/tmp/kk-cluster-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(log) }
        guard let p = try? ChildProcess(path: path, arguments: args, logPath: log) else { return "" }
        if p.wait(seconds: seconds) == nil { p.stop(grace: 0) }
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }

    /// The port of a live replica of the primary on `port`.
    public func replica(of port: Int) -> Int? {
        let id = cli(port, "cluster", "myid").trimmingCharacters(in: .whitespacesAndNewlines)
        for line in cli(port, "cluster", "nodes").split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 4, f[2].contains("slave"), !f[2].contains("fail"), f[3] == id,
                  let addr = f[1].split(separator: "@").first, let p = addr.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
            return p
        }
        return nil
    }

    /// The port of the live primary serving `slot`, asked of any live node.
    public func primary(slot: Int) -> Int? {
        for (i, port) in ports.enumerated() where pids[i] > 0 {
            for line in cli(port, "cluster", "nodes").split(separator: "\n") {
                let f = line.split(separator: " ")
                guard f.count >= 9, f[2].contains("master"), !f[2].contains("fail") else { continue }
                for r in f[8...] {
                    let b = r.split(separator: "-")
                    guard let lo = Int(b[0]) else { continue }
                    let hi = b.count > 1 ? Int(b[1]) ?? lo : lo
                    if (lo...hi).contains(slot), let addr = f[1].split(separator: "@").first,
                       let p = addr.split(separator: ":").last.flatMap({ Int($0) }) { return p }
                }
            }
            return nil
        }
        return nil
    }

    /// Kills the node on `port` (SIGKILL, as a crash).
    public func kill(port: Int) {
        guard let i = ports.firstIndex(of: port), pids[i] > 0 else { return }
        Glibc.kill(pids[i], SIGKILL)
        pids[i] = 0
    }

    /// Whether every live node says `cluster_state:ok`.
    public func healthy() -> Bool {
        ports.indices.allSatisfy { i in pids[i] == 0 || cli(ports[i], "cluster", "info").contains("cluster_state:ok") }
    }

    /// Stops every node by pid and removes the directory.
    public func stop() {
        for (i, pid) in pids.enumerated() where pid > 0 {
            Glibc.kill(pid, SIGKILL)  // throwaway nodes; SIGTERM may be blocked in a test's children
            pids[i] = 0
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }
}
