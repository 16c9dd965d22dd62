import Foundation

/// The real PostgreSQL 15 the service tests talk to.
///
/// `.ci/run` starts one (Ops/scripts/postgres-local.sh) and exports `KK_POSTGRES_URL`; without
/// it, the first caller starts a private one with that script and stops it by pid when the test
/// process exits.
public enum PostgresTestServer {
    nonisolated(unsafe) private static var started: (url: String, pid: Int32, dir: String)?
    private static let lock = NSLock()

    /// `postgres://kk:PASSWORD@127.0.0.1:PORT/kk` of a running server; throws when none can be had.
    public static func url() throws -> String {
        if let env = ProcessInfo.processInfo.environment["KK_POSTGRES_URL"], !env.isEmpty { return env }
        lock.lock()
        defer { lock.unlock() }
        if let s = started { return s.url }
        let script = SystemTest.packageRoot.appendingPathComponent("Ops/scripts/postgres-local.sh").path
        // The script's answer goes through a file, not a pipe: the postmaster it starts would
        // inherit the pipe's write end and the read would never see its end.
        let answer = NSTemporaryDirectory() + "kk-pg-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: answer) }
        let p = try ChildProcess(path: "/bin/bash", arguments: ["-c", "bash \"$0\" > \"$1\"", script, answer])
        let status = p.wait(seconds: 60)
        let fields = ((try? String(contentsOfFile: answer, encoding: .utf8)) ?? "")
            .split(whereSeparator: \.isWhitespace).map(String.init)
        guard status.map({ ($0 >> 8) & 0xff }) == 0, fields.count == 4, let pid = Int32(fields[1]) else {
            throw NSError(domain: "PostgresTestServer", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "postgres-local.sh failed (is postgresql-15 installed? run as root)"])
        }
        let url = "postgres://kk:\(fields[3])@127.0.0.1:\(fields[0])/kk"
        started = (url, pid, fields[2])
        atexit {
            if let s = PostgresTestServer.started {
                kill(s.pid, SIGTERM)
                for _ in 0..<100 where kill(s.pid, 0) == 0 { usleep(20_000) }
                try? FileManager.default.removeItem(atPath: s.dir)
            }
        }
        return url
    }
}
