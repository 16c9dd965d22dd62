import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import KKWire
import Testing

/// kk-relay as a process when what it depends on fails: a registered shard nobody can reach,
/// and Redis going away. Each is a counted, worded refusal for the clients it concerns, while
/// the clients already playing keep playing and the relay keeps running.
@Suite(.serialized) struct RelayFaultTests {
    func client(_ loop: EventLoop, _ s: StackProcesses, player: UInt64, match: UInt64) throws -> GameClient {
        let token = try TokenIssuer(key: s.key).issue(playerId: player, matchId: match, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
        var config = ClientConfig()
        config.silenceTimeoutMillis = 20_000
        config.joinTimeoutMillis = 15_000
        return try GameClient(loop: loop, token: token, config: config) { _, _ in KartInput(buttons: KartInput.accelerate, steer: 0) }
    }

    func dropped(_ s: StackProcesses, _ reason: String) -> Double {
        s.metric("r1", "kk_relay_packets_dropped_total{reason=\"\(reason)\"}") ?? 0
    }

    /// A match whose registered shard does not answer (its address is a closed port): the join
    /// is refused with "the game server is unavailable" and counted; a player of a healthy
    /// shard keeps getting frames throughout.
    @Test func registeredButUnreachableShardRefusesTheJoinOthersKeepPlaying() throws {
        let s = try StackProcesses("relay-shard-unreachable")
        let shard = try s.shard("s1")
        let relay = try s.relay("r1", extra: ["--shard-unreachable-ms", "1500"])
        #expect(s.ready("s1") && s.ready("r1"))
        let r = try #require(RedisSync(port: s.redisPort))
        try s.allocate(match: 930, on: "s1", ownerTtlMillis: 60_000)
        let deadPort = SystemTest.freePort(udp: true)
        r.run("HSET", s.prefix + "shard:ghost", "addr", "127.0.0.1:\(deadPort)", "capacity", "10", "matches", "1")
        try s.allocate(match: 931, on: "ghost", ownerTtlMillis: 60_000)

        let loop = try EventLoop()
        let healthy = try client(loop, s, player: 1, match: 930)
        defer { healthy.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { healthy.session.state == .playing && healthy.session.stats.framesReceived > 10 })
        let framesBefore = healthy.session.stats.framesReceived

        let stranded = try client(loop, s, player: 2, match: 931)
        defer { stranded.stop() }
        #expect(drive(loop, timeoutMillis: 15_000) { stranded.session.state.isEnded },
                "still \(stranded.session.state); relay log:\n\(s.log("r1").suffix(1500))")
        #expect(stranded.session.state == .ended(.server(.shardUnavailable)))
        #expect(SystemTest.eventually(seconds: 3) { dropped(s, "shard_unavailable") >= 1 })
        #expect(s.log("r1").contains("shard unreachable"))
        // The healthy player never stopped.
        #expect(healthy.session.state == .playing)
        #expect(drive(loop, timeoutMillis: 10_000) { healthy.session.stats.framesReceived > framesBefore + 60 })
        #expect(healthy.relayChanges == 0)
        #expect(relay.isRunning && shard.isRunning)
    }

    /// Redis killed: the relay says not ready ("redis unreachable"), a join whose route it has
    /// not cached is refused as "server unavailable" and counted, the player already in a
    /// match keeps playing; Redis back: ready again and new players join.
    @Test func redisDownRefusesUncachedJoinsKeepsPlayersAndRecovers() throws {
        var redis = try OwnRedis("relay-redis-down")
        defer { redis.process.stop() }
        let port = redis.port
        #expect(redis.ready())
        let s = try StackProcesses("relay-redis-down", redisPort: port)
        try s.shard("s1")
        let relay = try s.relay("r1", extra: ["--shard-unreachable-ms", "1500"])
        #expect(s.ready("s1") && s.ready("r1"))
        try s.allocate(match: 940, on: "s1", ownerTtlMillis: 60_000)
        try s.allocate(match: 941, on: "s1", ownerTtlMillis: 60_000)

        let loop = try EventLoop()
        let playing = try client(loop, s, player: 1, match: 940)
        defer { playing.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { playing.session.state == .playing && playing.session.stats.framesReceived > 10 })

        // Every wait below drives the loop: the playing client keeps sending (the relay gives a
        // silent client up after 3 s here).
        redis.process.signal(SIGKILL)
        redis.process.wait(seconds: 5)
        #expect(eventually(seconds: 5, driving: loop) {
            let r = SystemTest.http(port: s.adminPorts["r1"]!, path: "/readyz")
            return r?.status == 503 && r?.body.contains("redis unreachable") == true
        })
        let framesAtKill = playing.session.stats.framesReceived
        let late = try client(loop, s, player: 2, match: 941)
        defer { late.stop() }
        #expect(drive(loop, timeoutMillis: 15_000) { late.session.state.isEnded }, "still \(late.session.state)")
        #expect(late.session.state == .ended(.server(.shardUnavailable)))
        #expect(eventually(seconds: 3, driving: loop) { dropped(s, "shard_unavailable") >= 1 })
        #expect(playing.session.state == .playing)
        #expect(drive(loop, timeoutMillis: 10_000) { playing.session.stats.framesReceived > framesAtKill + 40 })
        #expect(playing.relayChanges == 0)

        try redis.restart()
        #expect(s.ready("s1", seconds: 15, driving: loop) && s.ready("r1", seconds: 15, driving: loop))
        try s.allocate(match: 942, on: "s1", ownerTtlMillis: 60_000)
        let again = try client(loop, s, player: 3, match: 942)
        defer { again.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { again.session.state == .playing && again.session.stats.framesReceived > 10 })
        #expect(playing.session.state == .playing)
        // Redis came back empty: the shard claimed its running match back instead of dropping it.
        #expect(s.log("s1").contains("claimed it back"))
        #expect(relay.isRunning)
    }
}
