import ArgumentParser
import Foundation
import Glibc
import KKAdmin
import KKConfig
import KKLoop
import KKRelay
import KKRelayCore
import Logging

/// `kk-relay`: the stateless DTLS edge relay (see docs/ARCHITECTURE.md).
@main
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-relay",
        abstract: "Stateless DTLS edge relay: clients over UDP/DTLS-PSK, shards over ENet.",
        subcommands: [Serve.self, DTLSBench.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the relay (default).")

    @Option(help: "JSON config file (Config/relay.json); flags override it.") var config: String?
    @Option(help: "UDP listen host.") var listenHost: String?
    @Option(help: "UDP listen port.") var listenPort: UInt16?
    @Option(help: "Worker processes sharing the port with SO_REUSEPORT (0: one per core).") var workers: Int?
    @Option(help: "Admin HTTP host.") var adminHost: String?
    @Option(help: "Admin HTTP port of worker 0 (worker i uses port + i; 0: any).") var adminPort: Int?
    @Option(help: "Token key, 64 hex chars (repeat: current first). Env KK_TOKEN_KEY.") var tokenKey: [String] = []
    @Option(help: "Cookie secret shared by the POP's workers, 64 hex chars. Env KK_COOKIE_SECRET.") var cookieSecret: String?
    @Option(help: "Redis host.") var redisHost: String?
    @Option(help: "Redis port.") var redisPort: Int?
    @Option(help: "Redis key prefix.") var redisPrefix: String = "kk:"
    @Flag(help: "The Redis at --redis-host/--redis-port is a node of a Redis Cluster (hash-tagged keys, MOVED/ASK followed).") var redisCluster = false
    @Option(help: "Most client sessions.") var maxSessions: Int?
    @Option(help: "Drain deadline, ms.") var drainDeadlineMs: UInt64?
    @Option(help: "Anycast: this long after a drain starts, tell every session to move (it resumes at the same address, answered by another POP once the route is withdrawn), ms.") var drainMoveAfterMs: UInt64?
    @Option(help: "Idle timeout, ms.") var idleTimeoutMs: UInt64?
    @Option(help: "Resume tickets' validity, s (playing clients get a fresh one every quarter of it).") var resumeTicketSeconds: UInt64?
    @Option(help: "Refuse joins to a registered shard no connection reaches for this long, ms.") var shardUnreachableMs: UInt64?
    @Option(help: "The lobby's relay control socket, ws://host:port/v1/lobby/relay-control (none: no control plane).") var lobbyUrl: String?
    @Option(help: "The control plane's service credential (default: $KK_LOBBY_RELAY_SECRET).") var lobbySecret: String?
    @Option(help: "This relay's id on the control plane and in Redis logs (default: generated).") var relayId: String?
    @Option(help: "The region this relay serves (quick play picks regions by ping).") var region = "local"
    @Option(help: "Log level.") var logLevel: String = "info"
    @Option(help: .hidden) var workerIndex: Int?

    func makeConfig() throws -> RelayConfig {
        var c: RelayConfig
        do { c = try ConfigFile.load(RelayConfig.self, path: config, fallback: RelayConfig()) } catch { throw ValidationError(error.description) }
        let env = ProcessInfo.processInfo.environment
        if !tokenKey.isEmpty { c.tokenKeysHex = tokenKey } else if let k = env["KK_TOKEN_KEY"], c.tokenKeysHex.isEmpty { c.tokenKeysHex = [k] }
        if let s = cookieSecret { c.cookieSecretHex = s } else if let s = env["KK_COOKIE_SECRET"], c.cookieSecretHex.isEmpty { c.cookieSecretHex = s }
        if let listenHost { c.listenHost = listenHost }
        if let listenPort { c.listenPort = listenPort }
        if let workers { c.workers = workers }
        if let adminHost { c.adminHost = adminHost }
        if let adminPort { c.adminPort = UInt16(clamping: adminPort) }
        if let redisHost { c.redisHost = redisHost }
        if let redisPort { c.redisPort = redisPort }
        if redisCluster { c.redisCluster = true }
        if let maxSessions { c.maxSessions = maxSessions }
        if let drainDeadlineMs { c.drainDeadlineMillis = drainDeadlineMs }
        if let drainMoveAfterMs { c.drainMoveAfterMillis = drainMoveAfterMs }
        if let idleTimeoutMs { c.idleTimeoutMillis = idleTimeoutMs }
        if let resumeTicketSeconds { c.resumeTicketSeconds = resumeTicketSeconds }
        if let shardUnreachableMs { c.shardUnreachableMillis = shardUnreachableMs }
        let problems = c.validate()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return c
    }

    func run() throws {
        var cfg = try makeConfig()
        let count = cfg.workers == 0 ? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) : cfg.workers
        if workerIndex == nil && count > 1 {
            do { try WorkerSupervisor.run(count: count, subcommand: "serve") } catch { throw ValidationError("\(error)") }
            return
        }
        let index = workerIndex ?? 0
        if cfg.adminPort != 0 { cfg.adminPort += UInt16(index) }
        let logger = ProcessHost.logger(label: "kk-relay.\(index)", level: logLevel)
        let loop = try EventLoop()
        let host = ProcessHost(loop: loop, logger: logger)
        let relay: RelayServer
        do {
            relay = try RelayServer(config: cfg, loop: loop, logger: logger, prefix: redisPrefix)
            try relay.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        if let url = lobbyUrl {
            guard let secret = lobbySecret ?? ProcessInfo.processInfo.environment["KK_LOBBY_RELAY_SECRET"], secret.count >= 16 else {
                logger.critical("--lobby-url needs --lobby-secret or KK_LOBBY_RELAY_SECRET (at least 16 characters)")
                throw ExitCode(64)
            }
            let id = relayId.map { count > 1 ? "\($0)-\(index)" : $0 }
            do { try relay.attachControlPlane(url: url, secret: secret, relayId: id, region: region) } catch {
                logger.critical("control plane: \(error)")
                throw ExitCode(2)
            }
        }
        let finish = { relay.stop { loop.stop() } }
        relay.onDrained = finish
        host.onTerminate(finish)
        // Not ready at once (not at the next status publish): an anycast health check withdraws
        // the POP's route within its own interval.
        try host.onDrain { relay.drain(); host.admin.setReadiness(["draining"]) }
        host.serve(adminHost: cfg.adminHost, adminPort: Int(cfg.adminPort)) { relay.publish(to: host, adminPort: $0) }
    }
}
