import Glibc

/// A child process started by a test or by kk-load (redis-server, kk-shard, kk-relay), stopped by its pid.
///
/// Spawned with `posix_spawn` resetting the signal mask and all signal dispositions to default:
/// a test runner may block or ignore SIGTERM, and the child would inherit that and never stop
/// gracefully. Output goes to a log file (never to the runner's pipes, which a lingering child
/// would hold open).
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    private var reaped = false

    public enum SpawnError: Error { case failed(errno: Int32, path: String) }

    /// Starts `path` with `arguments`, appending stdout and stderr to `logPath`.
    public init(path: String, arguments: [String], environment: [String: String] = [:], logPath: String = "/dev/null") throws {
        self.logPath = logPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var env = environment
        var i = 0
        while let e = environ[i] {
            let s = String(cString: e)
            if let eq = s.firstIndex(of: "="), env[String(s[..<eq])] == nil { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            i += 1
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SpawnError.failed(errno: rc, path: path) }
        pid = child
    }

    /// Sends `signal` to the child.
    public func signal(_ sig: Int32) { if !reaped { kill(pid, sig) } }

    /// Waits up to `seconds` for exit; returns the exit status (or nil on timeout).
    @discardableResult
    public func wait(seconds: Double) -> Int32? {
        if reaped { return 0 }
        var status: Int32 = 0
        let deadline = Double(monotonicMillis()) + seconds * 1000
        while Double(monotonicMillis()) < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { reaped = true; return status }
            if r < 0 { reaped = true; return nil }
            usleep(5_000)
        }
        return nil
    }

    /// SIGTERM, then SIGKILL after `grace` seconds.
    public func stop(grace: Double = 3) {
        guard !reaped else { return }
        signal(SIGTERM)
        if wait(seconds: grace) == nil { signal(SIGKILL); wait(seconds: 5) }
    }

    /// Whether the child is still running.
    public var isRunning: Bool {
        if reaped { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { reaped = true }
        return r == 0
    }

    deinit { stop(grace: 1) }
}

/// Milliseconds of CLOCK_MONOTONIC.
public func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
