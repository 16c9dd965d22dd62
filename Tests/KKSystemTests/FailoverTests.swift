import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import Testing

/// The failure stories of the design card, with real processes killed by pid.
@Suite(.serialized) struct FailoverTests {
    func bot(_ loop: EventLoop, token: ConnectToken) throws -> GameClient {
        var driver: BotDriver?
        var config = ClientConfig()
        config.silenceTimeoutMillis = 20_000
        return try GameClient(loop: loop, token: token, config: config) { state, slot in
            guard let state, let slot else { return .neutral }
            if driver == nil { driver = BotDriver(slot: slot, seed: 1) }
            return driver!.input(state: state, track: try! TrackCatalog.track(named: "oval"))
        }
    }

    /// Two ways a dead shard's match is adopted: its liveness beat stops (the default; the lease
    /// here is 30 s, so only the beat can explain an adoption within the test), or, with
    /// liveness off, its ownership lease (800 ms) runs out.
    @Test(arguments: [true, false])
    func shardKilledMidRaceMatchIsAdoptedAndRaceContinues(liveness: Bool) throws {
        let s = try StackProcesses(liveness ? "failover-live" : "failover-lease")
        let ttl = liveness ? 30_000 : 800
        let extra = liveness ? [] : ["--liveness-ms", "0"]
        let s1 = try s.shard("s1", ttlMillis: ttl, extra: extra)
        try s.shard("s2", ttlMillis: ttl, extra: extra)
        try s.relay("r1")
        #expect(s.ready("s1") && s.ready("s2") && s.ready("r1"))
        try s.allocate(match: 901, on: "s1", ownerTtlMillis: ttl)
        let loop = try EventLoop()
        let token = try TokenIssuer(key: s.key).issue(playerId: 5, matchId: 901, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
        let client = try bot(loop, token: token)
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && (client.session.authoritativeState?.tick ?? 0) > 120 })
        let tickAtKill = client.session.authoritativeState?.tick ?? 0
        let framesAtKill = client.session.stats.framesReceived
        s1.signal(SIGKILL)
        let killedAt = monotonicMillis()
        // The relay re-routes to the shard that adopted the match; frames resume past the kill tick.
        _ = drive(loop, timeoutMillis: 15_000) { client.session.stats.framesReceived > framesAtKill + 1 }
        let firstFrame = Double(monotonicMillis() - killedAt) / 1000
        let resumed = drive(loop, timeoutMillis: 15_000) {
            client.session.stats.framesReceived > framesAtKill + 20 && (client.session.authoritativeState?.tick ?? 0) > tickAtKill + 30
        }
        #expect(resumed, "no frames after the kill; relay log:\n\(s.log("r1").suffix(2000))\ns2 log:\n\(s.log("s2").suffix(2000))")
        let seconds = Double(monotonicMillis() - killedAt) / 1000
        print("FIGURE shard-kill-to-first-frame-seconds=\(firstFrame) to-frames-resumed-seconds=\(seconds) tick-at-kill=\(tickAtKill) liveness=\(liveness)")
        #expect(s.log("s2").contains("adopted match from snapshot"))
        #expect(s.log("s2").contains("shard presumed dead") == liveness)
        // The adopter applies each input once: no more than the client made (the inputs after
        // the snapshot were applied by s1 too, but s1's state is gone with it).
        // (Metrics are published once a second: wait for the adopter's first figures.)
        #expect(SystemTest.eventually(seconds: 5) { (s.metric("s2", "kk_shard_inputs_applied_total") ?? 0) > 0 })
        #expect(SystemTest.eventually(seconds: 5) { s.metric("s2", "kk_shard_shards_presumed_dead_total") == (liveness ? 1 : 0) })
        let adopterApplied = s.metric("s2", "kk_shard_inputs_applied_total") ?? -1
        let made = Double(client.session.stats.inputsRecorded)
        #expect(adopterApplied > 0 && adopterApplied <= made, "s2 applied \(adopterApplied) of \(made) inputs made")
        #expect(s.metric("s2", "kk_shard_shards_presumed_dead_total") == (liveness ? 1 : 0))
        let r = try #require(RedisSync(port: s.redisPort))
        #expect(r.run("HGET", s.prefix + "match:901", "shard") == "s2")
        #expect(client.session.state == .playing)
        // The relay counted why it re-routed: the owner event, or the ENet link's loss if that came first.
        let moved = SystemTest.eventually(seconds: 3) {
            ["shard_owner_changed", "shard_link_lost"].compactMap { s.metric("r1", "kk_relay_failovers_total{reason=\"\($0)\"}") }.reduce(0, +) >= 1
        }
        #expect(moved)
    }

    @Test func relayKilledClientResumesOnAnotherRelayWithNoInputAppliedTwice() throws {
        let s = try StackProcesses("resume")
        try s.shard("s1")
        let a = try s.relay("rA")
        try s.relay("rB")
        #expect(s.ready("s1") && s.ready("rA") && s.ready("rB"))
        try s.allocate(match: 902, on: "s1")
        let loop = try EventLoop()
        let token = try TokenIssuer(key: s.key).issue(playerId: 6, matchId: 902, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["rA"]!)", "127.0.0.1:\(s.udpPorts["rB"]!)"])
        let client = try bot(loop, token: token)
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && client.session.stats.framesReceived > 30 })
        a.signal(SIGKILL)
        let killedAt = monotonicMillis()
        #expect(drive(loop, timeoutMillis: 10_000) { client.relayChanges == 1 && client.session.state == .playing })
        // A killed relay says nothing: the client decided from the silence (the SDK event a game shows).
        #expect(client.lastFailover == .relaySilent && client.failovers == [.relaySilent: 1])
        let framesAfter = client.session.stats.framesReceived
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.stats.framesReceived > framesAfter + 30 })
        print("FIGURE relay-kill-to-playing-seconds=\(Double(monotonicMillis() - killedAt) / 1000)")
        #expect(client.session.stats.resumes >= 1)
        // No input applied twice: the shard never applied more inputs than the client made.
        let applied = s.metric("s1", "kk_shard_inputs_applied_total") ?? -1
        let made = Double(client.session.stats.inputsRecorded)
        #expect(applied > 0 && applied <= made, "applied \(applied) made \(made)")
        #expect(SystemTest.eventually(seconds: 3) { (s.metric("rB", "kk_relay_joins_total{kind=\"resume\"}") ?? 0) >= 1 })
        #expect((s.metric("rB", "kk_relay_failovers_total{reason=\"client_resumed\"}") ?? 0) >= 1)
        // The client sent every input the shard had not applied (the catch-up beyond its
        // redundancy window): the new relay gave none up.
        #expect((s.metric("rB", "kk_relay_packets_dropped_total{reason=\"input_gone_after_resume\"}") ?? 0) == 0)
        print("FIGURE relay-kill catch-up inputs \(client.session.stats.catchUpInputsSent)")
    }

    /// A relay that dies late in a race: the token and the Welcome's resume ticket (4 s here) ran
    /// out while the client played, but the relay renewed the ticket every second, so the next
    /// relay takes it. A ticket no relay takes (the other relay of the second client's token has
    /// another key) ends that session with a clear reason instead of handshaking in a loop.
    @Test func lateRelayDeathResumesOnARenewedTicketAndARefusedOneEnds() throws {
        let s = try StackProcesses("ticket")
        let other = try StackProcesses("ticket-other", redisPort: s.redisPort)
        defer { other.stopAll() }
        try s.shard("s1")
        let a = try s.relay("rA", extra: ["--resume-ticket-seconds", "4"])
        try s.relay("rB", extra: ["--resume-ticket-seconds", "4"])
        try other.relay("rC")
        #expect(s.ready("s1") && s.ready("rA") && s.ready("rB"))
        try s.allocate(match: 903, on: "s1")
        let loop = try EventLoop()
        let issuer = try TokenIssuer(key: s.key)
        let relayA = "127.0.0.1:\(s.udpPorts["rA"]!)"
        let renewed = try bot(loop, token: try issuer.issue(playerId: 7, matchId: 903, now: UInt64(time(nil)), validSeconds: 4,
                                                               relays: [relayA, "127.0.0.1:\(s.udpPorts["rB"]!)"]))
        let refused = try bot(loop, token: try issuer.issue(playerId: 8, matchId: 903, now: UInt64(time(nil)), validSeconds: 4,
                                                              relays: [relayA, "127.0.0.1:\(other.udpPorts["rC"]!)"]))
        refused.handshakeTimeoutMillis = 1_000
        defer { renewed.stop(); refused.stop() }
        // Five renewals: more than the 4 s the token and the first ticket were valid for.
        #expect(drive(loop, timeoutMillis: 15_000) {
            renewed.session.stats.ticketsRenewed >= 5 && refused.session.state == .playing
        }, "renewed \(renewed.session.stats.ticketsRenewed)")
        a.signal(SIGKILL)
        #expect(drive(loop, timeoutMillis: 10_000) { renewed.relayChanges == 1 && renewed.session.state == .playing })
        let framesAfter = renewed.session.stats.framesReceived
        #expect(drive(loop, timeoutMillis: 10_000) { renewed.session.stats.framesReceived > framesAfter + 30 })
        #expect(SystemTest.eventually(seconds: 3) { (s.metric("rB", "kk_relay_joins_total{kind=\"resume\"}") ?? 0) >= 1 })
        #expect(SystemTest.eventually(seconds: 5) { (s.metric("rB", "kk_relay_resume_tickets_renewed_total") ?? 0) >= 1 })
        // The other client: rC refuses its ticket, dead rA does not answer, rC refuses again: ended.
        #expect(drive(loop, timeoutMillis: 15_000) { refused.session.state.isEnded })
        #expect(refused.session.state == .ended(.tokenExpired), "\(refused.session.state)")
        #expect((refused.failovers[.handshakeFailed] ?? 0) <= 3, "\(refused.failovers)")
    }

    /// A relay drained with `--drain-move-after-ms` tells its sessions to move: the client moves
    /// to the next relay at once and says why (the SDK event a game shows as "reconnecting").
    @Test func drainedRelayMovesItsClientsWithTheDrainAsTheReason() throws {
        let s = try StackProcesses("drain-move")
        try s.shard("s1")
        try s.relay("rA", extra: ["--drain-move-after-ms", "0"])
        try s.relay("rB")
        #expect(s.ready("s1") && s.ready("rA") && s.ready("rB"))
        try s.allocate(match: 904, on: "s1")
        let loop = try EventLoop()
        let token = try TokenIssuer(key: s.key).issue(playerId: 8, matchId: 904, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["rA"]!)", "127.0.0.1:\(s.udpPorts["rB"]!)"])
        let client = try bot(loop, token: token)
        defer { client.stop() }
        var seen: [FailoverReason] = []
        client.onFailover = { _, reason in seen.append(reason) }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && client.session.stats.framesReceived > 30 })
        #expect(SystemTest.http("POST", port: s.adminPorts["rA"]!, path: "/drain")?.status == 202)  // accepted: the drain runs on
        #expect(drive(loop, timeoutMillis: 10_000) { client.relayChanges == 1 && client.session.state == .playing },
                "relay A log:\n\(s.log("rA").suffix(1500))")
        #expect(seen == [.relayDraining] && client.lastFailover == .relayDraining)
        #expect(client.relay == "127.0.0.1:\(s.udpPorts["rB"]!)")
    }

    /// Redis lost mid-match: the race keeps running and frames keep flowing; the shard says it
    /// is not ready; when Redis returns the shard registers again.
    @Test func redisLostMidMatchMatchesKeepRunning() throws {
        var redis = try OwnRedis("redis-lost")
        defer { redis.process.stop() }
        let port = redis.port
        #expect(redis.ready())
        let s = try StackProcesses("redis-lost", redisPort: port)
        try s.shard("s1")
        try s.relay("r1")
        #expect(s.ready("s1") && s.ready("r1"))
        try s.allocate(match: 903, on: "s1")
        let loop = try EventLoop()
        let token = try TokenIssuer(key: s.key).issue(playerId: 8, matchId: 903, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
        let client = try bot(loop, token: token)
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && client.session.stats.framesReceived > 20 })
        redis.process.signal(SIGKILL)
        redis.process.wait(seconds: 5)
        let frames = client.session.stats.framesReceived
        let tick = client.session.authoritativeState?.tick ?? 0
        #expect(drive(loop, timeoutMillis: 15_000) { client.session.stats.framesReceived > frames + 40 })
        #expect((client.session.authoritativeState?.tick ?? 0) > tick + 100)
        let r = SystemTest.http(port: s.adminPorts["s1"]!, path: "/readyz")
        #expect(r?.status == 503 && r?.body.contains("redis unreachable") == true)
        try redis.restart()
        #expect(s.ready("s1", seconds: 15))
        #expect(RedisSync(port: port)?.run("EXISTS", s.prefix + "shard:s1") == "1")
        #expect(client.session.state == .playing)
    }
}
