import ArgumentParser
import Foundation
import KKAdmin
import KKConfig
import KKLoop
import KKShard
import KKShardCore
import Logging

/// `kk-shard`: an authoritative simulation process (see docs/ARCHITECTURE.md).
@main
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-shard",
        abstract: "Authoritative 60 Hz kart simulation for many matches; registers in Redis; serves relays over ENet.")

    @Option(help: "JSON config file (Config/shard.json); flags override it.") var config: String?
    @Option(help: "Unique shard id.") var id: String?
    @Option(help: "ENet listen host.") var enetHost: String?
    @Option(help: "ENet listen port (0: any).") var enetPort: UInt16?
    @Option(help: "Address relays connect to (default: enet host:port).") var advertise: String?
    @Option(help: "Admin HTTP host.") var adminHost: String = "127.0.0.1"
    @Option(help: "Admin HTTP port (0: any).") var adminPort: Int?
    @Option(help: "Redis host.") var redisHost: String?
    @Option(help: "Redis port.") var redisPort: Int?
    @Option(help: "Redis key prefix.") var redisPrefix: String = "kk:"
    @Flag(help: "The Redis at --redis-host/--redis-port is a node of a Redis Cluster (hash-tagged keys, MOVED/ASK followed).") var redisCluster = false
    @Option(help: "Most matches hosted at once.") var maxMatches: Int?
    @Option(help: "Kart slots per match.") var playersPerMatch: Int?
    @Option(help: "Track name (oval, canyon, sprint).") var track: String?
    @Option(help: "Laps (default: the track's).") var laps: UInt8?
    @Option(help: "Directory of .track files hosted besides the built-in tracks, by content hash (e.g. Config/tracks).") var tracksDir: String?
    @Option(help: "Send a frame every N ticks (3 = 20 Hz).") var sendEveryTicks: Int?
    @Option(help: "Snapshot to Redis every N ticks.") var snapshotEveryTicks: Int?
    @Option(help: "Registration TTL, ms.") var registrationTtlMs: Int?
    @Option(help: "Match ownership lease, ms.") var ownershipTtlMs: Int?
    @Option(help: "Silence after which a shard is presumed dead and its matches adopted, ms (0: leases only).") var livenessMs: Int?
    @Option(help: "Log level (trace, debug, info, notice, warning, error).") var logLevel: String = "info"

    func makeConfig() throws -> ShardConfig {
        var c: ShardConfig
        do { c = try ConfigFile.load(ShardConfig.self, path: config, fallback: ShardConfig()) } catch { throw ValidationError(error.description) }
        if let id { c.id = id }
        if let enetHost { c.enetHost = enetHost }
        if let enetPort { c.enetPort = enetPort }
        if let advertise { c.advertiseAddress = advertise }
        if let adminPort { c.adminPort = UInt16(clamping: adminPort) }
        if let redisHost { c.redisHost = redisHost }
        if let redisPort { c.redisPort = redisPort }
        if redisCluster { c.redisCluster = true }
        if let maxMatches { c.maxMatches = maxMatches }
        if let playersPerMatch { c.playersPerMatch = playersPerMatch }
        if let track { c.track = track }
        if let laps { c.laps = laps }
        if let tracksDir { c.tracksDir = tracksDir }
        if let sendEveryTicks { c.sendEveryTicks = sendEveryTicks }
        if let snapshotEveryTicks { c.snapshotEveryTicks = snapshotEveryTicks }
        if let registrationTtlMs { c.registrationTTLMillis = registrationTtlMs }
        if let ownershipTtlMs { c.ownershipTTLMillis = ownershipTtlMs }
        if let livenessMs { c.livenessMillis = livenessMs }
        let problems = c.validate()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return c
    }

    func run() throws {
        let cfg = try makeConfig()
        let logger = ProcessHost.logger(label: "kk-shard.\(cfg.id)", level: logLevel)
        let loop = try EventLoop()
        let host = ProcessHost(loop: loop, logger: logger)
        let server: ShardServer
        do { server = try ShardServer(config: cfg, loop: loop, logger: logger) } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        let registry = ShardRegistry(server: server, loop: loop, logger: logger, prefix: redisPrefix)
        registry.dieBeforeResult = (ProcessInfo.processInfo.environment["KK_FAULTS"] ?? "").split(separator: ",").contains("shard-die-before-result")
        let agones: AgonesSDK?
        do throws(AgonesError) { agones = try AgonesSDK.fromEnvironment(logger: logger) } catch { throw ValidationError("\(error)") }
        registry.agones = agones
        registry.onExit = { code in
            agones?.shutdownNow()
            host.exitCode = code
            loop.stop()
        }
        let tickTimer = host.metrics.timer("kk_shard_tick_duration_seconds")
        server.onTick = { ns in tickTimer.recordNanoseconds(Int64(ns)) }
        host.onTerminate { registry.deregisterAndExit(code: 0) }
        try host.onDrain { registry.drain(); host.admin.setReadiness(["draining"]) }
        // Agones moving the game server to Shutdown drains it like POST /drain.
        agones?.onShutdownRequested = { [admin = host.admin] in admin.onDrain?() }
        agones?.start()
        server.start()
        registry.start()
        host.serve(adminHost: adminHost, adminPort: Int(cfg.adminPort)) { registry.publish(to: host, adminPort: $0) }
        server.stop()
        registry.close()
        loop.runClosing()
        logger.info("exit \(host.exitCode)")
        if host.exitCode != 0 { throw ExitCode(host.exitCode) }
    }
}
