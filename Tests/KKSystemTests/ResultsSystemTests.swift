import Foundation
import KKClient
import KKClientSDK
import KKLocalStack
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import Testing

/// Race results off the real stack: two bots race a lap on kk-shard through kk-relay; when the
/// match ends the shard puts its result on the results stream with the over transition, and
/// kk-services (results) records it once, verified by re-simulating the input log.
@Suite(.serialized) struct ResultsSystemTests {
    @Test func aRaceOnTheRealStackLandsOneVerifiedResult() throws {
        let stack = try ClientStack("results-race", match: 981, playersPerMatch: 2, track: "sprint")
        defer { stack.stop() }
        let http = Int(SystemTest.freePort())
        let services = try ChildProcess(path: SystemTest.product("kk-services"), arguments: [
            "--http-port", "\(http)", "--services", "auth,results,economy", "--redis-port", "\(stack.s.redisPort)", "--redis-prefix", stack.s.prefix,
            "--results-consumer", "results-test", "--log-level", "warning", "--operator-secret", "operator-secret-of-the-race-test",
        ], environment: ["KK_POSTGRES_URL": try PostgresTestServer.url(), "KK_JWT_KEY": String(repeating: "7c", count: 32)],
           logPath: "\(stack.s.dir)/services.log")
        stack.s.children["services"] = services
        #expect(SystemTest.eventually(seconds: 30) { SystemTest.http(port: http, path: "/readyz")?.status == 200 }, "\(stack.s.log("services"))")
        let loop = try EventLoop()
        let track = try TrackCatalog.track(named: "sprint")
        var clients: [GameClient] = []
        for i in 0..<2 {
            let token = try TokenIssuer(key: stack.s.key).issue(playerId: 900 + UInt64(i), matchId: 981, now: UInt64(time(nil)),
                                                                validSeconds: 300, relays: stack.token.relays)
            var driver: BotDriver?
            clients.append(try GameClient(loop: loop, token: token, config: stack.clientConfig) { state, slot in
                guard let state, let slot else { return .neutral }
                if driver == nil { driver = BotDriver(slot: slot, seed: 11) }
                return driver!.input(state: state, track: track)
            })
        }
        defer { clients.forEach { $0.stop() } }
        func done(_ c: GameClient) -> Bool {
            guard let a = c.session.authoritativeState else { return c.session.state.isEnded }
            return a.race.phase == .finished
        }
        #expect(drive(loop, timeoutMillis: 120_000) { clients.allSatisfy(done) })
        clients.forEach { $0.stop() }
        var body = ""
        #expect(SystemTest.eventually(seconds: 30) {
            guard let r = SystemTest.http(port: http, path: "/v1/results/matches/981"), r.status == 200 else { return false }
            body = r.body
            return true
        }, "no result recorded:\n\(stack.s.log("s1").suffix(1500))\n\(stack.s.log("services").suffix(1500))")
        let doc = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(doc?["verified"] as? Bool == true, "\(body)")
        let entries = doc?["entries"] as? [[String: Any]] ?? []
        #expect(Set(entries.compactMap { $0["playerId"] as? Int }) == [900, 901], "\(body)")
        #expect(entries.contains { $0["place"] as? Int == 1 }, "\(body)")
        #expect(SystemTest.http(port: http, path: "/v1/results/matches/981/ghost")?.body.hasPrefix("kklog 1") == true)
        // The shard's network figures of the race, copied in by the telemetry consumer.
        var telemetry = ""
        #expect(SystemTest.eventually(seconds: 20) {
            guard let r = SystemTest.http(port: http, path: "/v1/results/matches/981/telemetry"), r.status == 200 else { return false }
            telemetry = r.body
            return true
        }, "\(stack.s.log("services").suffix(1500))")
        let karts = (try? JSONSerialization.jsonObject(with: Data(telemetry.utf8)) as? [String: Any])?["karts"] as? [[String: Any]] ?? []
        #expect(karts.count == 2 && karts.allSatisfy { ($0["inputsApplied"] as? Int ?? 0) > 100 }, "\(telemetry)")
        #expect(SystemTest.http(port: http, path: "/v1/results/matches/982")?.status == 404)
        try clientSide(http: http, dir: stack.s.dir)
        #expect(SystemTest.http(port: http, path: "/v1/results/matches/zero")?.status == 400)
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: http, path: "/metrics").flatMap { SystemTest.metric($0.body, "kk_results_entries_total{outcome=\"recorded_verified\"}") } == 1
        })
    }

    /// The worst moments to die, on real processes: shard s1 dies the moment its race ends
    /// (before the result is published); s2 adopts the match from its snapshot with the input
    /// log stored beside it, the bots race on there and s2 publishes the result. The results
    /// consumer dies right after committing it (before the acknowledgement); restarted under
    /// the same name it takes its pending entry again. Still: one result, verified, one reward
    /// per racer, nothing left pending.
    @Test func aShardDyingAtTheFinishAndAConsumerDyingAfterCommitStillRecordOnce() throws {
        let s = try StackProcesses("results-faults")
        defer { s.stopAll() }
        let match = UInt64.random(in: 10_000_000...90_000_000)
        let base = UInt64.random(in: 1_000_000...9_000_000) * 100
        let args = ["--players-per-match", "2", "--laps", "1", "--track", "sprint"]
        try s.shard("s1", extra: args, environment: ["KK_FAULTS": "shard-die-before-result"])
        try s.shard("s2", extra: args)
        try s.relay("r1")
        for p in ["s1", "s2", "r1"] { #expect(s.ready(p), "\(p): \(s.log(p).suffix(1000))") }
        let redis = try #require(RedisSync(port: s.redisPort))
        redis.run("HSET", s.prefix + "match:\(match)", "shard", "s1", "state", "open", "slots", "2", "players", "2", "track", "sprint")
        redis.run("SADD", s.prefix + "matches:active", "\(match)")
        redis.run("SET", s.prefix + "match:\(match):owner", "s1", "PX", "800")
        redis.run("PUBLISH", s.prefix + "events", "alloc \(match) s1")

        let http = Int(SystemTest.freePort())
        let op = "operator-secret-of-the-fault-test"
        func services(_ name: String, faults: String) throws -> ChildProcess {
            let p = try ChildProcess(path: SystemTest.product("kk-services"), arguments: [
                "--http-port", "\(http)", "--services", "results,economy", "--redis-port", "\(s.redisPort)", "--redis-prefix", s.prefix,
                "--results-consumer", "faulty", "--operator-secret", op, "--log-level", "warning",
            ], environment: ["KK_POSTGRES_URL": try PostgresTestServer.url(), "KK_JWT_KEY": String(repeating: "7c", count: 32), "KK_FAULTS": faults],
               logPath: "\(s.dir)/\(name).log")
            s.children[name] = p
            return p
        }
        let first = try services("services", faults: "results-die-after-commit")
        #expect(SystemTest.eventually(seconds: 30) { SystemTest.http(port: http, path: "/readyz")?.status == 200 }, "\(s.log("services"))")

        let loop = try EventLoop()
        let track = try TrackCatalog.track(named: "sprint")
        var config = ClientConfig()
        config.track = "sprint"
        var clients: [GameClient] = []
        for i in 0..<2 {
            let token = try TokenIssuer(key: s.key).issue(playerId: base + UInt64(i), matchId: match, now: UInt64(time(nil)), validSeconds: 300,
                                                          relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
            var driver: BotDriver?
            clients.append(try GameClient(loop: loop, token: token, config: config) { state, slot in
                guard let state, let slot else { return .neutral }
                if driver == nil { driver = BotDriver(slot: slot, seed: 5) }
                return driver!.input(state: state, track: track)
            })
        }
        defer { clients.forEach { $0.stop() } }
        // The bots drive on (through s1's death and s2's adoption) until the first consumer has
        // committed the result and died (a timer wakes the loop to look: once the race is over
        // the clients are quiet).
        let wake = LoopTimer(loop: loop)
        wake.start(afterMillis: 100, repeatMillis: 100) {}
        defer { wake.close() }
        #expect(drive(loop, timeoutMillis: 150_000) { !first.isRunning }, """
            the consumer never reached its fault point:\n\(s.log("s1").suffix(800))\n\(s.log("s2").suffix(1500))\n\(s.log("services").suffix(1500))
            """)
        clients.forEach { $0.stop() }
        #expect(!s.children["s1"]!.isRunning && s.log("s1").contains("shard-die-before-result"), "\(s.log("s1").suffix(800))")
        #expect(s.log("s2").contains("adopted match from snapshot"), "\(s.log("s2").suffix(1500))")
        #expect(s.log("services").contains("results-die-after-commit"), "\(s.log("services").suffix(800))")
        // The entry is still pending on the dead consumer.
        func pending() -> String? { redis.run("EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", s.prefix + "results", "results") }
        #expect(pending() == "1")

        _ = try services("services2", faults: "")
        var body = ""
        #expect(SystemTest.eventually(seconds: 30) {
            guard let m = SystemTest.http(port: http, path: "/metrics"),
                  SystemTest.metric(m.body, "kk_results_entries_total{outcome=\"duplicate\"}") == 1,
                  let r = SystemTest.http(port: http, path: "/v1/results/matches/\(match)"), r.status == 200 else { return false }
            body = r.body
            return true
        }, "\(s.log("services2").suffix(1500))")
        let doc = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(doc?["verified"] as? Bool == true, "the adopted match's log carried over: \(body)")
        let m2 = SystemTest.http(port: http, path: "/metrics")?.body ?? ""
        #expect((SystemTest.metric(m2, "kk_results_entries_total{outcome=\"recorded_verified\"}") ?? 0) == 0, "recorded once, by the first consumer")
        #expect(SystemTest.eventually(seconds: 10) { pending() == "0" }, "nothing left pending (acknowledged after the count)")
        #expect(redis.run("XLEN", s.prefix + "results") == "1", "one entry on the stream")
        // One reward per racer.
        for i in 0..<2 {
            let w = LocalProbe.http(port: http, path: "/v1/economy/players/\(base + UInt64(i))/wallet", headers: ["Authorization": "Bearer \(op)"])
            let wallet = w.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
            let rewards = (wallet?["recent"] as? [[String: Any]] ?? []).filter { ($0["reason"] as? String)?.contains("match \(match) ") == true }
            #expect(rewards.count == 1 && (wallet?["balance"] as? Int ?? 0) > 0, "\(w?.body ?? "no answer")")
        }
    }

    /// The player's side of results and the store, through the SDK and the C ABI: a device
    /// account granted 600 buys a skin, reads the board, stats and wallet, and replays the best
    /// time's ghost to its finish.
    func clientSide(http: Int, dir: String) throws {
        let url = "http://127.0.0.1:\(http)"
        let session = try AuthClient(baseURL: url).loginDevice(deviceId: "results-device-\(UInt32.random(in: 0...UInt32.max))")
        let prefs = "\(dir)/session.json"
        try SecurePreferences(path: prefs).save(session)
        let grant = LocalProbe.http("POST", port: http, path: "/v1/economy/grants",
                                    body: #"{"accountId": \#(session.accountId), "amount": 600, "idempotencyKey": "welcome"}"#,
                                    headers: ["Authorization": "Bearer operator-secret-of-the-race-test"])
        #expect(grant?.status == 201, "\(grant?.body ?? "no answer")")
        let store = StoreClient(baseURL: url)
        let neon = try #require(try store.catalog().first { $0.item == "skin.neon" })
        let receipt = try store.purchase(session, item: neon.item, expectedPrice: try #require(neon.price), idempotencyKey: "neon-1")
        #expect(receipt.balance == 350 && !receipt.replayed)
        #expect(try store.purchase(session, item: "skin.neon", expectedPrice: neon.price ?? 0, idempotencyKey: "neon-1").replayed, "a retry buys once")
        #expect(try store.inventory(session).contains("skin.neon"))
        #expect(throws: AuthClientError.refused(status: 409, code: "insufficient_funds")) {
            try store.purchase(session, item: "kart.heavy", expectedPrice: 800)
        }
        let results = ResultsClient(baseURL: url)
        let board = try results.board(track: "sprint", scope: .top)
        #expect(board.rows.first?.rank == 1, "\(board)")
        let best = try #require(board.rows.first)
        let ghost = try results.ghost(track: "sprint")
        #expect(ghost.bestTicks == best.bestTicks && ghost.playerId == best.playerId)
        var player = try GhostPlayer(log: ghost.log, slot: ghost.slot)
        var last: GhostPlayer.Pose?
        var finishedAt: UInt32?
        while let p = player.step() {
            if p.finished && finishedAt == nil { finishedAt = p.tick }
            last = p
        }
        let countdown = RaceRules(laps: UInt8(1)).countdownTicks
        #expect(last?.finished == true && finishedAt.map { Int($0) - Int(countdown) } == ghost.bestTicks,
                "the ghost finishes at its board time: \(String(describing: finishedAt)) vs \(ghost.bestTicks)")
        #expect(try results.stats(playerId: best.playerId).races >= 1)

        let exe = "\(dir)/capi-results"
        let failure = try SystemTest.compileCProgram("results.c", to: exe, logDir: dir)
        try #require(failure == nil, "\(failure ?? "")")
        let run = try ChildProcess(path: exe, arguments: [url, prefs, "981"], logPath: "\(dir)/capi.log")
        let status = run.wait(seconds: 60)
        if status == nil { run.stop() }
        let out = (try? String(contentsOfFile: "\(dir)/capi.log", encoding: .utf8)) ?? ""
        #expect(status == 0 && out.contains("ALL OK"), "\(out)")
    }
}
