import KKAdmin
import KKRelayCore

/// The relay's /status document.
public struct RelayStatus: Encodable, Sendable {
    var udpPort: Int
    var adminPort: Int
    var sessions: Int
    var playing: Int
    var handshaking: Int
    var shardsConnected: Int
    var redisConnected: Bool
    var registered: Bool
    var draining: Bool
    var drops: [String: Int]
    /// "off", "connected" or "down" (the lobby's control plane; players are served either way).
    var controlPlane: String
    /// Why the control plane is down (the last attempt's error), when it is.
    var controlPlaneError: String?
    var bans: Int
}

extension RelayServer {
    /// Publishes readiness, the /status document and every relay metric (once a second, loop thread).
    public func publish(to host: ProcessHost, adminPort: Int) {
        let c = counters
        var notReady: [String] = []
        if !redisConnected { notReady.append("redis unreachable") }
        if redisConnected && knownShards == 0 { notReady.append("no shard registered") }
        if drainStartedMillis != nil { notReady.append("draining") }
        host.admin.setReadiness(notReady)
        let controlPlane = control.map { $0.isConnected ? "connected" : "down" } ?? "off"
        host.admin.setNotes(controlPlane == "down" ? ["control plane: down (players are served; lobby commands wait)"] : [])
        reportControlLoad()
        var drops: [String: Int] = [:]
        for r in RelayDropReason.allCases where c.drops(r) > 0 { drops[r.label] = c.drops(r) }
        let counts = core.sessionCounts
        host.admin.setStatus(RelayStatus(udpPort: Int(port), adminPort: adminPort, sessions: sessionCount,
                                         playing: counts.playing, handshaking: handshakesInProgress,
                                         shardsConnected: shardsConnected, redisConnected: redisConnected,
                                         registered: registered, draining: drainStartedMillis != nil, drops: drops,
                                         controlPlane: controlPlane,
                                         controlPlaneError: controlPlane == "down" ? control?.lastError : nil, bans: core.bans.count))
        let m = host.metrics
        m.gauge("kk_relay_sessions", value: Double(sessionCount))
        m.gauge("kk_relay_redis_connected", value: redisConnected ? 1 : 0)
        let cumulative = c.inputToFrame.cumulative
        for (i, le) in LatencyBuckets.labels.enumerated() {
            m.count("kk_relay_input_to_frame_seconds_bucket", [("le", le)], total: cumulative[i])
        }
        m.count("kk_relay_input_to_frame_seconds_count", total: c.inputToFrame.count)
        m.gauge("kk_relay_input_to_frame_seconds_sum", value: Double(c.inputToFrame.sumMillis) / 1000)
        m.gauge("kk_relay_sessions_playing", value: Double(counts.playing))
        m.gauge("kk_relay_handshakes_in_progress", value: Double(handshakesInProgress))
        m.gauge("kk_relay_shard_links_up", value: Double(shardsConnected))
        m.gauge("kk_relay_ready", value: notReady.isEmpty ? 1 : 0)
        m.count("kk_relay_datagrams_total", [("direction", "in")], total: c.datagramsIn)
        m.count("kk_relay_datagrams_total", [("direction", "out")], total: c.datagramsOut)
        m.count("kk_relay_bytes_total", [("direction", "in")], total: c.bytesIn)
        m.count("kk_relay_bytes_total", [("direction", "out")], total: c.bytesOut)
        m.count("kk_relay_handshakes_total", [("result", "ok")], total: c.handshakesOK)
        m.count("kk_relay_handshakes_total", [("result", "failed")], total: c.handshakesFailed)
        m.count("kk_relay_hello_verify_requests_total", total: c.helloVerifyRequests)
        m.count("kk_relay_pings_answered_total", total: c.pingsAnswered)
        m.count("kk_relay_resume_tickets_renewed_total", total: c.ticketsRenewed)
        m.count("kk_relay_inputs_late_total", total: c.inputsLate)
        m.count("kk_relay_inputs_forwarded_total", total: c.inputsForwarded)
        m.count("kk_relay_inputs_reforwarded_total", total: c.inputsReforwarded)
        m.count("kk_relay_input_batches_total", total: c.inputBatchesSent)
        m.count("kk_relay_frames_total", [("kind", "full")], total: c.framesFull)
        m.count("kk_relay_frames_total", [("kind", "delta")], total: c.framesDelta)
        m.count("kk_relay_frame_bytes_total", total: c.frameBytes)
        m.count("kk_relay_joins_total", [("kind", "join")], total: c.joins)
        m.count("kk_relay_joins_total", [("kind", "resume")], total: c.resumes)
        m.count("kk_relay_idle_timeouts_total", total: c.idleTimeouts)
        for r in RelayFailoverReason.allCases {
            m.count("kk_relay_failovers_total", [("reason", r.label)], total: c.failovers(r))
        }
        for r in RelayDropReason.allCases where c.drops(r) > 0 {
            m.count("kk_relay_packets_dropped_total", [("reason", r.label)], total: c.drops(r))
        }
        m.count("kk_relay_route_lookup_failures_total", total: c.routeLookupFailures)
        m.count("kk_relay_bad_cluster_events_total", total: c.badClusterEvents)
        m.gauge("kk_relay_control_plane_up", value: controlPlane == "connected" ? 1 : 0)
        m.count("kk_relay_control_commands_total", total: control?.counts.commands ?? 0)
        m.count("kk_relay_control_kicks_total", total: c.kicks)
        m.count("kk_relay_banned_refusals_total", total: c.bannedRefusals)
        m.count("kk_relay_route_prefetches_total", total: c.routePrefetches)
    }
}
