import ArgumentParser
import Foundation
import KKAdmin
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
    @Option(help: "Most matches hosted at once.") var maxMatches: Int?
    @Option(help: "Kart slots per match.") var playersPerMatch: Int?
    @Option(help: "Track name (oval, canyon, sprint).") var track: String?
    @Option(help: "Laps (default: the track's).") var laps: UInt8?
    @Option(help: "Send a frame every N ticks (3 = 20 Hz).") var sendEveryTicks: Int?
    @Option(help: "Snapshot to Redis every N ticks.") var snapshotEveryTicks: Int?
    @Option(help: "Registration TTL, ms.") var registrationTtlMs: Int?
    @Option(help: "Match ownership lease, ms.") var ownershipTtlMs: Int?
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
        if let maxMatches { c.maxMatches = maxMatches }
        if let playersPerMatch { c.playersPerMatch = playersPerMatch }
        if let track { c.track = track }
        if let laps { c.laps = laps }
        if let sendEveryTicks { c.sendEveryTicks = sendEveryTicks }
        if let snapshotEveryTicks { c.snapshotEveryTicks = snapshotEveryTicks }
        if let registrationTtlMs { c.registrationTTLMillis = registrationTtlMs }
        if let ownershipTtlMs { c.ownershipTTLMillis = ownershipTtlMs }
        let problems = c.validate()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return c
    }

    func run() throws {
        let cfg = try makeConfig()
        var logger = Logger(label: "kk-shard.\(cfg.id)")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let loop = try EventLoop()
        let host = ProcessHost(loop: loop, logger: logger)
        let server: ShardServer
        do { server = try ShardServer(config: cfg, loop: loop, logger: logger) } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        let registry = ShardRegistry(server: server, loop: loop, logger: logger, prefix: redisPrefix)
        registry.onExit = { code in
            host.exitCode = code
            loop.stop()
        }
        let tickTimer = host.metrics.timer("kk_shard_tick_duration_seconds")
        server.onTick = { ns in tickTimer.recordNanoseconds(Int64(ns)) }
        host.onTerminate { registry.deregisterAndExit(code: 0) }
        try host.onDrain { registry.drain() }
        server.start()
        registry.start()
        let adminPort = host.startAdmin(host: adminHost, port: Int(cfg.adminPort))
        logger.info("admin http on \(adminHost):\(adminPort)")
        publish(host: host, server: server, registry: registry, adminPort: adminPort)
        host.everySecond { publish(host: host, server: server, registry: registry, adminPort: adminPort) }
        loop.run()
        server.stop()
        registry.close()
        host.shutdown()
        logger.info("exit \(host.exitCode)")
        if host.exitCode != 0 { throw ExitCode(host.exitCode) }
    }
}

/// The shard's /status document.
struct ShardStatus: Encodable {
    var id: String
    var enet: String
    var adminPort: Int
    var registered: Bool
    var redisConnected: Bool
    var draining: Bool
    var relays: Int
    var matches: [MatchStatus]
    var ticks: Int
    var tickOverruns: Int
    var skippedTicks: Int
    var lastTickMicros: Double

    struct MatchStatus: Encodable {
        var id: UInt64
        var tick: UInt32
        var players: Int
        var phase: String
    }
}

func publish(host: ProcessHost, server: ShardServer, registry: ShardRegistry, adminPort: Int) {
    let c = server.core.counters
    var notReady: [String] = []
    if !registry.redisConnected { notReady.append("redis unreachable") }
    if !registry.registered { notReady.append("not registered in redis") }
    if registry.duplicateId { notReady.append("duplicate shard id") }
    if server.draining { notReady.append("draining") }
    host.admin.setReadiness(notReady)
    let matches = server.core.matches.values.map {
        ShardStatus.MatchStatus(id: $0.matchId, tick: $0.tick, players: $0.playerCount, phase: "\($0.state.race.phase)")
    }.sorted { $0.id < $1.id }
    host.admin.setStatus(ShardStatus(
        id: server.config.id, enet: "\(server.config.enetHost):\(server.port)", adminPort: adminPort,
        registered: registry.registered, redisConnected: registry.redisConnected, draining: server.draining,
        relays: server.relayCount, matches: matches, ticks: c.ticks, tickOverruns: c.tickOverruns,
        skippedTicks: server.skippedTicks, lastTickMicros: Double(server.lastTickNanos) / 1000))
    let m = host.metrics
    m.gauge("kk_shard_matches", value: Double(server.core.matches.count))
    m.gauge("kk_shard_players", value: Double(matches.reduce(0) { $0 + $1.players }))
    m.gauge("kk_shard_relays", value: Double(server.relayCount))
    m.gauge("kk_shard_ready", value: notReady.isEmpty ? 1 : 0)
    m.count("kk_shard_ticks_total", total: c.ticks)
    m.count("kk_shard_tick_overruns_total", total: c.tickOverruns)
    m.count("kk_shard_inputs_applied_total", total: c.inputsApplied)
    m.count("kk_shard_inputs_late_total", total: c.inputsLate)
    m.count("kk_shard_inputs_dropped_total", total: c.inputsDropped)
    m.count("kk_shard_joins_total", [("result", "accepted")], total: c.joinsAccepted)
    m.count("kk_shard_joins_total", [("result", "refused")], total: c.joinsRefused)
    m.count("kk_shard_frames_sent_total", total: c.framesSent)
    m.count("kk_shard_frame_bytes_total", total: c.frameBytesSent)
    m.count("kk_shard_matches_adopted_total", total: c.matchesAdopted)
    m.count("kk_shard_redis_errors_total", total: registry.redisErrors)
    m.count("kk_shard_leases_reclaimed_total", total: registry.leasesReclaimed)
    m.count("kk_shard_snapshots_total", total: registry.snapshotsWritten)
    m.count("kk_shard_snapshot_bytes_total", total: registry.snapshotBytes)
    for r in ShardDropReason.allCases where c.drops(r) > 0 { m.count("kk_shard_packets_dropped_total", [("reason", r.label)], total: c.drops(r)) }
    m.count("kk_shard_send_failures_total", total: server.sendFailures)
}
