import Glibc
import KKLoop
import KKRedis
import KKTestSupport

/// A unique key name so parallel tests (and other worktrees sharing KK_REDIS_PORT) never collide.
func uniqueKey(_ name: String) -> String { "kk:test:redis:\(name):\(UInt64.random(in: 0...UInt64.max))" }

/// A free TCP port on 127.0.0.1 (bound to port 0, read back, released).
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
            bind(fd, p, len) == 0 ? getsockname(fd, p, &len) : -1
        }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A private redis-server on a loopback port this test can kill and restart.
final class PrivateRedis {
    let port: Int
    private var process: ChildProcess?

    init(port: Int = freeLoopbackPort()) { self.port = port }

    func start() throws {
        process = try ChildProcess(path: "/usr/bin/redis-server",
                                   arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                               "--daemonize", "no", "--loglevel", "warning"])
    }

    /// Sends `sig` (e.g. SIGSTOP) by pid.
    func signal(_ sig: Int32) { process?.signal(sig) }

    /// SIGKILL by pid, reaped.
    func kill() {
        process?.signal(SIGKILL)
        process?.wait(seconds: 5)
        process = nil
    }

    deinit { kill() }
}
