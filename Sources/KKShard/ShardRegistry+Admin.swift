import KKAdmin
import KKShardCore

/// The shard's /status document.
public struct ShardStatus: Encodable, Sendable {
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
    /// Under Agones: the GameServer's state as last read from the SDK sidecar.
    var agones: String?

    public struct MatchStatus: Encodable, Sendable {
        var id: UInt64
        var tick: UInt32
        var players: Int
        var phase: String
        var track: String
    }
}

extension ShardRegistry {
    /// Publishes readiness, the /status document and every shard metric (once a second, loop thread).
    public func publish(to host: ProcessHost, adminPort: Int) {
        let c = server.core.counters
        var notReady: [String] = []
        if !redisConnected { notReady.append("redis unreachable") }
        if !registered { notReady.append("not registered in redis") }
        if duplicateId { notReady.append("duplicate shard id") }
        if server.draining { notReady.append("draining") }
        host.admin.setReadiness(notReady)
        let matches = server.core.matches.values.map {
            ShardStatus.MatchStatus(id: $0.matchId, tick: $0.tick, players: $0.playerCount, phase: "\($0.state.race.phase)",
                                    track: $0.simulation.track.name)
        }.sorted { $0.id < $1.id }
        host.admin.setStatus(ShardStatus(
            id: server.config.id, enet: "\(server.config.enetHost):\(server.port)", adminPort: adminPort,
            registered: registered, redisConnected: redisConnected, draining: server.draining,
            relays: server.relayCount, matches: matches, ticks: c.ticks, tickOverruns: c.tickOverruns,
            skippedTicks: server.skippedTicks, lastTickMicros: Double(server.lastTickNanos) / 1000,
            agones: agones.map { $0.figures.state ?? "unknown" }))
        let m = host.metrics
        m.gauge("kk_shard_matches", value: Double(server.core.matches.count))
        // Memory the races' input logs hold (every change since the start: a result is verified
        // by re-simulating it), which grows with a race's length by design (the soak tells it
        // apart from a leak).
        m.gauge("kk_shard_input_log_bytes", value: Double(server.core.matches.values.reduce(0) { $0 + ($1.log?.memoryBytes ?? 0) }))
        m.gauge("kk_shard_players", value: Double(matches.reduce(0) { $0 + $1.players }))
        m.gauge("kk_shard_relays", value: Double(server.relayCount))
        m.gauge("kk_shard_ready", value: notReady.isEmpty ? 1 : 0)
        m.gauge("kk_shard_redis_connected", value: redisConnected ? 1 : 0)
        if let agones {
            agones.observe(ready: notReady.isEmpty, matches: server.core.matches.count, draining: server.draining)
            let f = agones.figures
            m.count("kk_shard_agones_calls_total", [("result", "ok")], total: f.ok)
            m.count("kk_shard_agones_calls_total", [("result", "failed")], total: f.failed)
        }
        m.count("kk_shard_ticks_total", total: c.ticks)
        m.count("kk_shard_tick_overruns_total", total: c.tickOverruns)
        m.count("kk_shard_inputs_applied_total", total: c.inputsApplied)
        m.count("kk_shard_inputs_late_total", total: c.inputsLate)
        m.count("kk_shard_inputs_duplicate_total", total: c.inputsDuplicate)
        m.count("kk_shard_inputs_dropped_total", total: c.inputsDropped)
        m.count("kk_shard_joins_total", [("result", "accepted")], total: c.joinsAccepted)
        m.count("kk_shard_joins_total", [("result", "refused")], total: c.joinsRefused)
        m.count("kk_shard_frames_sent_total", total: c.framesSent)
        m.count("kk_shard_frame_bytes_total", total: c.frameBytesSent)
        m.count("kk_shard_matches_adopted_total", total: c.matchesAdopted)
        m.count("kk_shard_matches_refused_total", total: c.matchesRefused)
        m.count("kk_shard_redis_errors_total", total: redisErrors)
        m.count("kk_shard_leases_reclaimed_total", total: leasesReclaimed)
        m.count("kk_shard_shards_presumed_dead_total", total: shardsPresumedDead)
        m.count("kk_shard_snapshots_total", total: snapshotsWritten)
        m.count("kk_shard_snapshot_bytes_total", total: snapshotBytes)
        for r in ShardDropReason.allCases where c.drops(r) > 0 { m.count("kk_shard_packets_dropped_total", [("reason", r.label)], total: c.drops(r)) }
        m.count("kk_shard_send_failures_total", total: server.sendFailures)
    }
}
