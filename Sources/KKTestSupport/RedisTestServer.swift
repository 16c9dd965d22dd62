import Foundation

/// The real redis-server the integration tests talk to.
///
/// `.ci/run` starts one on a loopback port and exports `KK_REDIS_PORT`; without it, the first
/// caller starts a private redis-server on a free loopback port and stops it by pid when the
/// test process exits.
public enum RedisTestServer {
    nonisolated(unsafe) private static var started: (pid: Int32, port: Int)?
    nonisolated(unsafe) private static var child: ChildProcess?
    private static let lock = NSLock()

    /// The port of a running redis-server on 127.0.0.1; throws when none can be had.
    public static func port() throws -> Int {
        if let env = ProcessInfo.processInfo.environment["KK_REDIS_PORT"], let p = Int(env) { return p }
        lock.lock()
        defer { lock.unlock() }
        if let s = started { return s.port }
        let port = Int.random(in: 20_000..<40_000)
        let p = try ChildProcess(path: "/usr/bin/redis-server",
                                 arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                             "--daemonize", "no", "--loglevel", "warning"])
        child = p
        started = (p.pid, port)
        atexit {
            if let s = RedisTestServer.started { kill(s.pid, SIGTERM) }
        }
        // Wait until it accepts connections (bounded: 5 s).
        for _ in 0..<500 {
            if canConnect(port: port) { return port }
            usleep(10_000)
        }
        throw NSError(domain: "RedisTestServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "redis-server did not start on \(port)"])
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
