import Foundation
import Glibc
import KKLoad
import KKLocalStack
import KKToken

/// The system under load: either started here (`--spawn-stack`: redis-server, shards and relays
/// as child processes, stopped by pid) or running already (addresses and pids from flags).
final class Stack {
    struct Member {
        var name: String
        var pid: Int32
        var adminPort: Int?
        var child: ChildProcess?
    }

    var redisHost = "127.0.0.1"
    var redisPort = 6379
    var prefix = "kk:"
    var key: TokenKey
    /// Relay UDP addresses ("host:port") and the relay processes (same order when spawned).
    var relayAddresses: [String] = []
    var relays: [Member] = []
    var shardIds: [String] = []
    var shards: [Member] = []
    var redis: Member?
    var logDir: String

    init(key: TokenKey, logDir: String) {
        self.key = key
        self.logDir = logDir
    }

    /// Starts redis-server (unless `redisPort` is given), the scenario's shards and relays, and
    /// waits until every one answers /readyz (bounded: 30 s).
    static func spawn(_ sc: Scenario, binDir: String, redisPort: Int?, logDir: String, relayWorkers: Int = 1) throws -> Stack {
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        let s = Stack(key: try TokenKey.random(), logDir: logDir)
        s.prefix = "kkload\(UInt32.random(in: 0...UInt32.max)):"
        if let redisPort {
            s.redisPort = redisPort
        } else {
            let port = Int(LocalProbe.freePort())
            let r = try ChildProcess(path: "/usr/bin/redis-server", arguments: [
                "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning",
            ], logPath: "\(logDir)/redis.log")
            s.redis = Member(name: "redis", pid: r.pid, child: r)
            s.redisPort = port
            guard LocalProbe.eventually(seconds: 5, { RedisSync(host: s.redisHost, port: port) != nil }) else {
                throw LoadError("redis-server did not start on \(port) (see \(logDir)/redis.log)")
            }
        }
        let maxMatches = sc.clients / max(1, sc.playersPerMatch) + 16
        for i in 0..<sc.shards {
            let admin = Int(LocalProbe.freePort())
            let id = "ls\(i)"
            let p = try ChildProcess(path: "\(binDir)/kk-shard", arguments: [
                "--id", id, "--enet-port", "0", "--admin-port", "\(admin)", "--redis-port", "\(s.redisPort)",
                "--redis-prefix", s.prefix, "--registration-ttl-ms", "\(sc.ownershipTtlMillis)",
                "--ownership-ttl-ms", "\(sc.ownershipTtlMillis)", "--liveness-ms", "\(sc.livenessMillis)", "--snapshot-every-ticks", "6",
                "--players-per-match", "\(sc.playersPerMatch)", "--send-every-ticks", "\(sc.frameEveryTicks)", "--max-matches", "\(maxMatches)", "--laps", "\(sc.laps)",
                "--log-level", "notice",
            ], logPath: "\(logDir)/\(id).log")
            s.shards.append(Member(name: id, pid: p.pid, adminPort: admin, child: p))
            s.shardIds.append(id)
        }
        let cookie = try TokenKey.random().hex
        for i in 0..<sc.relays {
            let admin = Int(LocalProbe.freePort())
            let udp = LocalProbe.freePort(udp: true)
            let name = "lr\(i)"
            let p = try ChildProcess(path: "\(binDir)/kk-relay", arguments: [
                "serve", "--listen-port", "\(udp)", "--admin-port", "\(admin)", "--redis-port", "\(s.redisPort)",
                "--redis-prefix", s.prefix, "--token-key", s.key.hex, "--cookie-secret", cookie, "--workers", "\(relayWorkers)",
                "--max-sessions", "\(max(1000, sc.clients * 2))", "--log-level", "notice",
            ], logPath: "\(logDir)/\(name).log")
            s.relays.append(Member(name: name, pid: p.pid, adminPort: admin, child: p))
            s.relayAddresses.append("127.0.0.1:\(udp)")
        }
        for m in s.shards + s.relays {
            guard LocalProbe.eventually(seconds: 30, { LocalProbe.http(port: m.adminPort!, path: "/readyz")?.status == 200 }) else {
                s.stop()
                throw LoadError("\(m.name) not ready after 30 s (see \(logDir)/\(m.name).log)")
            }
        }
        return s
    }

    /// Stops what was spawned here, by pid (relays and shards first, then redis).
    func stop() {
        for m in relays + shards { m.child?.stop(grace: 3) }
        redis?.child?.stop(grace: 3)
    }

    /// Kills a member by pid (SIGKILL), as a crash would.
    func kill(_ m: Member) { if let c = m.child { c.signal(SIGKILL) } else { Glibc.kill(m.pid, SIGKILL) } }

    /// Counters worth keeping from the stack's /metrics, summed over its processes.
    func metrics() -> [String: Double] {
        let names = [
            "kk_shard_inputs_applied_total", "kk_shard_inputs_late_total", "kk_shard_inputs_duplicate_total",
            "kk_shard_inputs_dropped_total",
            "kk_shard_matches_adopted_total", "kk_shard_tick_overruns_total", "kk_shard_frames_sent_total",
            "kk_relay_handshakes_total{result=\"ok\"}", "kk_relay_handshakes_total{result=\"failed\"}",
            "kk_relay_joins_total{kind=\"join\"}", "kk_relay_joins_total{kind=\"resume\"}",
            "kk_relay_datagrams_total{direction=\"in\"}", "kk_relay_datagrams_total{direction=\"out\"}", "kk_relay_inputs_forwarded_total",
            "kk_relay_frames_total{kind=\"full\"}", "kk_relay_frames_total{kind=\"delta\"}", "kk_relay_idle_timeouts_total",
        ]
        return scrape(relays + shards, names)
    }

    /// The named counters from the members' /metrics, summed.
    func scrape(_ members: [Member], _ names: [String]) -> [String: Double] {
        var out: [String: Double] = [:]
        for m in members {
            guard let port = m.adminPort, let body = LocalProbe.http(port: port, path: "/metrics")?.body else { continue }
            for n in names { if let v = LocalProbe.metric(body, n) { out[n, default: 0] += v } }
        }
        return out
    }
}

/// A fatal kk-load problem, worded for the command line.
struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
