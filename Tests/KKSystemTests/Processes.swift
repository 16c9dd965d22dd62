import Foundation
import KKLoop
import KKTestSupport
import KKToken
import Testing

/// Real processes of the stack for system tests: kk-shard and kk-relay binaries, started with
/// a reset signal mask, logs in a temp dir, stopped by pid.
final class StackProcesses {
    let dir: String
    let redisPort: Int
    let prefix = "kks\(UInt32.random(in: 0...UInt32.max)):"
    let key: TokenKey
    let cookieHex: String
    var children: [String: ChildProcess] = [:]
    var adminPorts: [String: Int] = [:]
    var udpPorts: [String: UInt16] = [:]

    init(_ name: String, redisPort: Int? = nil) throws {
        dir = SystemTest.tempDir(name)
        self.redisPort = try redisPort ?? RedisTestServer.port()
        key = try TokenKey.random()
        cookieHex = try TokenKey.random().hex
    }

    @discardableResult
    func shard(_ id: String, ttlMillis: Int = 800, extra: [String] = [], environment: [String: String] = [:]) throws -> ChildProcess {
        let admin = Int(SystemTest.freePort())
        let p = try ChildProcess(path: SystemTest.product("kk-shard"), arguments: [
            "--id", id, "--enet-port", "0", "--admin-port", "\(admin)", "--redis-port", "\(redisPort)",
            "--redis-prefix", prefix, "--registration-ttl-ms", "\(ttlMillis)", "--ownership-ttl-ms", "\(ttlMillis)",
            "--snapshot-every-ticks", "6", "--players-per-match", "4",
        ] + extra, environment: environment, logPath: "\(dir)/\(id).log")
        children[id] = p
        adminPorts[id] = admin
        return p
    }

    @discardableResult
    func relay(_ name: String, extra: [String] = []) throws -> ChildProcess {
        let admin = Int(SystemTest.freePort())
        let udp = SystemTest.freePort(udp: true)
        let p = try ChildProcess(path: SystemTest.product("kk-relay"), arguments: [
            "serve", "--listen-port", "\(udp)", "--admin-port", "\(admin)", "--redis-port", "\(redisPort)",
            "--redis-prefix", prefix, "--token-key", key.hex, "--cookie-secret", cookieHex, "--workers", "1",
            "--idle-timeout-ms", "3000",
        ] + extra, logPath: "\(dir)/\(name).log")
        children[name] = p
        adminPorts[name] = admin
        udpPorts[name] = udp
        return p
    }

    /// Writes what the match service's allocation writes (docs/REDIS-KEYS.md): the match hash,
    /// the active set, the owner lease (`ownerTtlMillis`) and the `alloc` event.
    func allocate(match: UInt64, on shard: String, ownerTtlMillis: Int = 800) throws {
        let r = try #require(RedisSync(port: redisPort))
        r.run("HSET", prefix + "match:\(match)", "shard", shard, "state", "open", "slots", "4", "players", "1")
        r.run("SADD", prefix + "matches:active", "\(match)")
        r.run("SET", prefix + "match:\(match):owner", shard, "PX", "\(ownerTtlMillis)")
        r.run("PUBLISH", prefix + "events", "alloc \(match) \(shard)")
    }

    /// /readyz answers 200 within `seconds`; with `loop`, the clients on it keep playing meanwhile.
    func ready(_ name: String, seconds: Double = 20, driving loop: EventLoop? = nil) -> Bool {
        let isReady = { SystemTest.http(port: self.adminPorts[name]!, path: "/readyz")?.status == 200 }
        guard let loop else { return SystemTest.eventually(seconds: seconds, isReady) }
        return eventually(seconds: seconds, driving: loop, isReady)
    }

    func metric(_ name: String, _ metric: String) -> Double? {
        SystemTest.http(port: adminPorts[name]!, path: "/metrics").flatMap { SystemTest.metric($0.body, metric) }
    }

    func log(_ name: String) -> String { (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .utf8)) ?? "" }

    /// Stops every process; a sanitizer report in any log (the tests run sanitizer builds of
    /// kk-relay and kk-shard with `KK_PRODUCTS_DIR`) is an issue of the running test.
    func stopAll() {
        for c in children.values { c.stop(grace: 3) }
        guard !sanitizersChecked else { return }
        sanitizersChecked = true
        for name in children.keys.sorted() {
            let text = log(name)
            for marker in ["WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer"] where text.contains(marker) {
                Issue.record("\(name): \(marker) in \(dir)/\(name).log")
            }
        }
    }
    private var sanitizersChecked = false

    deinit { stopAll() }
}

/// A redis-server of the test's own (not the shared test server), so the test can kill it and
/// start it again on the same port.
struct OwnRedis {
    let port = Int(SystemTest.freePort())
    let dir: String
    var process: ChildProcess
    static func arguments(_ port: Int) -> [String] { ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] }

    init(_ name: String) throws {
        dir = SystemTest.tempDir(name)
        process = try ChildProcess(path: "/usr/bin/redis-server", arguments: Self.arguments(port), logPath: "\(dir)/redis.log")
    }

    /// Waits until it answers (bounded).
    func ready() -> Bool { SystemTest.eventually(seconds: 5) { RedisSync(port: port) != nil } }

    /// Starts it again, empty, on the same port.
    mutating func restart() throws {
        process = try ChildProcess(path: "/usr/bin/redis-server", arguments: Self.arguments(port), logPath: "\(dir)/redis2.log")
    }
}
