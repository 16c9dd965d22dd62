import Foundation
import Glibc
import KKAdmin
import KKLocalStack
import KKLoop
import KKShardCore
import Logging

/// The shard's side of Agones (enabled when `AGONES_SDK_HTTP_PORT` is set, as Agones sets it in
/// a game server's container): the SDK sidecar's REST API on localhost, driven by
/// ``AgonesPolicy`` from a thread of its own (the loop thread only hands over facts). It also
/// reads the GameServer's state every few seconds: when Agones moves it to `Shutdown` (the fleet
/// shrank, the node drains) the shard drains, so its matches are adopted by others instead of
/// being cut.
public final class AgonesSDK: @unchecked Sendable {
    public let port: Int
    private let logger: Logger
    private let lock = NSLock()
    /// Held while calls are made: the last call (Shutdown) is never overtaken by a health ping.
    private let callLock = NSLock()
    private var facts = AgonesPolicy.Facts()
    private var policy: AgonesPolicy
    private var stopped = false
    private var state: String?
    private var callsOK = 0, callsFailed = 0
    private var shutdownRequested = false
    /// Called (on this object's thread) when Agones wants the game server gone.
    public var onShutdownRequested: (() -> Void)?

    /// The SDK of `AGONES_SDK_HTTP_PORT`, or nil when it is not set (not under Agones).
    public static func fromEnvironment(logger: Logger) throws(AgonesError) -> AgonesSDK? {
        guard let raw = ProcessInfo.processInfo.environment["AGONES_SDK_HTTP_PORT"] else { return nil }
        guard let p = Int(raw), (1...65535).contains(p) else { throw .badPort(raw) }
        return AgonesSDK(port: p, logger: logger)
    }

    public init(port: Int, logger: Logger, healthEveryMillis: UInt64 = 2_000) {
        self.port = port
        self.logger = logger
        policy = AgonesPolicy(healthEveryMillis: healthEveryMillis)
    }

    /// Starts the SDK thread.
    public func start() {
        let t = Thread { [self] in run() }
        t.name = "agones-sdk"
        t.start()
        logger.info("agones: SDK on localhost:\(port)")
    }

    /// What the shard knows (from the loop thread, once a second).
    public func observe(ready: Bool, matches: Int, draining: Bool) {
        lock.lock(); defer { lock.unlock() }
        facts.ready = ready; facts.matches = matches; facts.draining = draining
    }

    /// The figures for /status and /metrics: the GameServer's state as last read, calls made.
    public var figures: (state: String?, ok: Int, failed: Int) {
        lock.lock(); defer { lock.unlock() }
        return (state, callsOK, callsFailed)
    }

    /// The shard exits: `Shutdown` now, synchronously (a second at most), and the thread stops.
    public func shutdownNow() {
        callLock.lock(); defer { callLock.unlock() }
        lock.lock()
        facts.exiting = true
        let already = policy.shutdownSent
        lock.unlock()
        if !already { perform(.shutdown) }
        lock.lock(); stopped = true; lock.unlock()
    }

    private func run() {
        var lastStateRead: UInt64 = 0
        while true {
            callLock.lock()
            lock.lock()
            if stopped { lock.unlock(); callLock.unlock(); return }
            let f = facts, now = Self.nowMillis()
            let calls = policy.calls(f, nowMillis: now)
            lock.unlock()
            for c in calls { perform(c) }
            callLock.unlock()
            if now >= lastStateRead + 3_000 {
                lastStateRead = now
                readState()
            }
            usleep(250_000)
        }
    }

    private func perform(_ c: AgonesPolicy.Call) {
        let (method, path, body): (String, String, String)
        switch c {
        case .ready: (method, path, body) = ("POST", "/ready", "{}")
        case .allocate: (method, path, body) = ("POST", "/allocate", "{}")
        case .health: (method, path, body) = ("POST", "/health", "{}")
        case .shutdown: (method, path, body) = ("POST", "/shutdown", "{}")
        case .label(let k, let v):
            let doc = (try? JSONSerialization.data(withJSONObject: ["key": k, "value": v], options: [.sortedKeys])) ?? Data()
            (method, path, body) = ("PUT", "/metadata/label", String(decoding: doc, as: UTF8.self))
        }
        let r = LocalProbe.http(method, port: port, path: path, body: body)
        let ok = r.map { (200..<300).contains($0.status) } ?? false
        lock.lock()
        if ok { callsOK += 1; policy.succeeded(c, nowMillis: Self.nowMillis()) } else { callsFailed += 1 }
        let failures = callsFailed
        lock.unlock()
        if !ok && (failures <= 3 || failures % 60 == 0) {
            logger.warning("agones: \(method) \(path) failed (\(r.map { "HTTP \($0.status)" } ?? "no answer")); retrying")
        } else if ok && c != .health {
            logger.info("agones: \(method) \(path) \(body == "{}" ? "" : body)")
        }
    }

    private func readState() {
        struct GameServer: Decodable {
            struct Status: Decodable { var state: String? }
            var status: Status?
        }
        guard let r = LocalProbe.http("GET", port: port, path: "/gameserver"), r.status == 200,
              let gs = try? JSONDecoder().decode(GameServer.self, from: Data(r.body.utf8)) else { return }
        lock.lock()
        state = gs.status?.state
        let shutdown = gs.status?.state == "Shutdown" && !shutdownRequested
        if shutdown { shutdownRequested = true }
        lock.unlock()
        if shutdown {
            logger.warning("agones: the game server is in state Shutdown: draining")
            onShutdownRequested?()
        }
    }

    private static func nowMillis() -> UInt64 { monotonicNanos() / 1_000_000 }
}

/// Agones configuration errors.
public enum AgonesError: Error, Equatable, CustomStringConvertible {
    /// `AGONES_SDK_HTTP_PORT` is set but not a port number.
    case badPort(String)

    public var description: String {
        switch self {
        case .badPort(let raw): "AGONES_SDK_HTTP_PORT '\(raw)' is not a port (1-65535)"
        }
    }
}
