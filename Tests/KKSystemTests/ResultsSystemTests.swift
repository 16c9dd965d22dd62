import Foundation
import KKClient
import KKClientSDK
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
            "--http-port", "\(http)", "--services", "results", "--redis-port", "\(stack.s.redisPort)", "--redis-prefix", stack.s.prefix,
            "--results-consumer", "results-test", "--log-level", "warning",
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
        #expect(SystemTest.http(port: http, path: "/v1/results/matches/982")?.status == 404)
        #expect(SystemTest.http(port: http, path: "/v1/results/matches/zero")?.status == 400)
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: http, path: "/metrics").flatMap { SystemTest.metric($0.body, "kk_results_entries_total{outcome=\"recorded_verified\"}") } == 1
        })
    }
}
