import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKMatch
import KKToken
import Metrics
import Prometheus
import Testing

@Suite struct MatchServiceTests {
    /// The router of one service on `bridge`, plus its metrics registry.
    private func makeApp(_ bridge: MatchBridge, key: TokenKey, staticRelays: [String] = [],
                         authenticator: any Authenticator = DevAuthenticator()) throws
        -> (some ApplicationProtocol, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        let service = try MatchService(allocator: bridge, authenticator: authenticator,
                                       config: MatchServiceConfig(tokenKey: key, tokenSeconds: 30, staticRelays: staticRelays),
                                       metricsFactory: PrometheusMetricsFactory(registry: registry))
        let router = Router()
        service.addRoutes(to: router)
        return (Application(router: router), registry)
    }

    private static func post(_ client: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/match", method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: body))
    }

    @Test func matchRequestReturnsAValidToken() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        fx.addRelay("r1", addr: "10.0.0.1:7000")
        fx.addRelay("r2", addr: "10.0.0.2:7000", draining: true)
        fx.cmd("SADD", fx.keys.relays, "r3")  // expired: no hash
        let bridge = try await fx.bridge()
        defer { bridge.shutdown() }
        await bridge.refreshRelays()
        let key = try TokenKey.random()
        let (app, registry) = try makeApp(bridge, key: key, staticRelays: ["192.0.2.1:7000"])
        try await app.test(.router) { client in
            let res = try await Self.post(client, #"{"player": "alice"}"#)
            #expect(res.status == .ok)
            let body = try JSONDecoder().decode(MatchResponse.self, from: Data(res.body.readableBytesView))
            let pid = DevAuthenticator.stableId(name: "alice")
            #expect(body.shardId == "s1" && body.slot == 0)
            #expect(body.token.playerId == pid && body.token.matchId == body.matchId)
            #expect(body.token.relays == ["10.0.0.1:7000"])
            #expect(body.token.expireTime - body.token.createTime == 30)
            let now = UInt64(Date().timeIntervalSince1970)
            let opened = try TokenValidator(keys: [key]).validate(text: body.token.sealed, now: now)
            #expect(opened.playerId == pid && opened.matchId == body.matchId)
            let clientKey = try body.token.clientKeyBytes()
            #expect((0..<32).allSatisfy { opened.clientKey[$0] == clientKey[$0] })
            // A numeric id is used as is; the same player again gets the same match.
            let bob = try await Self.post(client, #"{"player": 4242}"#)
            let bobBody = try JSONDecoder().decode(MatchResponse.self, from: Data(bob.body.readableBytesView))
            #expect(bobBody.token.playerId == 4242 && bobBody.matchId == body.matchId && bobBody.slot == 1)
            let again = try await Self.post(client, #"{"player": "alice"}"#)
            #expect(try JSONDecoder().decode(MatchResponse.self, from: Data(again.body.readableBytesView)).slot == 0)
        }
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"kk_match_requests_total{result="ok"} 3"#))
        #expect(text.contains("kk_match_allocation_seconds_count 3"))
    }

    /// Real login: the auth service's access token names the account, whose id is the player id;
    /// no token, a forged one or an expired one is a 401 and allocates nothing.
    @Test func bearerAccessTokenPlaysTheAccountAndNothingElseGetsIn() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        fx.addRelay("r1", addr: "10.0.0.1:7000")
        let bridge = try await fx.bridge()
        defer { bridge.shutdown() }
        await bridge.refreshRelays()
        let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 &* 7) })
        let verifier = try await AccessTokenVerifier(publicKeys: [signer.publicKey])
        let (app, registry) = try makeApp(bridge, key: try TokenKey.random(), authenticator: BearerAuthenticator(verifier: verifier))
        let good = try await signer.sign(AccessClaims(account: 31_337, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
        let expired = try await signer.sign(AccessClaims(account: 31_337, session: UUID(), issuedAt: Date().addingTimeInterval(-900),
                                                         lifetimeSeconds: 300))
        let forger = try await AccessTokenSigner(seed: [UInt8](repeating: 9, count: 32))
        let forged = try await forger.sign(AccessClaims(account: 1, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
        try await app.test(.router) { client in
            for auth in [nil, "Bearer \(expired)", "Bearer \(forged)", "Bearer not.a.jwt", "Basic \(good)"] {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let auth { headers[.authorization] = auth }
                let res = try await client.execute(uri: "/v1/match", method: .post, headers: headers, body: ByteBuffer(string: #"{"player": "mallory"}"#))
                #expect(res.status == .unauthorized, "\(auth ?? "no header")")
            }
            let res = try await client.execute(uri: "/v1/match", method: .post,
                                               headers: [.contentType: "application/json", .authorization: "Bearer \(good)"],
                                               body: ByteBuffer(string: #"{"player": "ignored"}"#))
            #expect(res.status == .ok)
            let body = try JSONDecoder().decode(MatchResponse.self, from: Data(res.body.readableBytesView))
            #expect(body.token.playerId == 31_337)
        }
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"kk_match_requests_total{result="ok"} 1"#))
        #expect(text.contains(#"kk_match_requests_total{result="unauthorized"} 5"#))
    }

    @Test func badInputIs400AndNoShardIs503() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        let bridge = try await fx.bridge()
        defer { bridge.shutdown() }
        let (app, registry) = try makeApp(bridge, key: try TokenKey.random(), staticRelays: ["192.0.2.1:7000"])
        try await app.test(.router) { client in
            for bad in ["not json", "{}", #"{"player": ""}"#, #"{"player": "0"}"#, #"{"player": -3}"#,
                        "{\"player\": \"\(String(repeating: "x", count: 65))\"}"] {
                let res = try await Self.post(client, bad)
                #expect(res.status == .badRequest, "\(bad)")
                let err = try JSONDecoder().decode(MatchErrorBody.self, from: Data(res.body.readableBytesView))
                #expect(err.error == "bad_request")
            }
            let res = try await Self.post(client, #"{"player": "carol"}"#)
            #expect(res.status == .serviceUnavailable)
            let err = try JSONDecoder().decode(MatchErrorBody.self, from: Data(res.body.readableBytesView))
            #expect(err == MatchErrorBody(error: "no_shard", message: "no shard available"))
        }
        let text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(text.contains(#"kk_match_requests_total{result="bad_request"} 6"#))
        #expect(text.contains(#"kk_match_requests_total{result="no_shard"} 1"#))
    }

    @Test func staticRelaysWhenNoneLiveAnd503WhenRedisDown() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let bridge = try await fx.bridge()
        let key = try TokenKey.random()
        let (app, _) = try makeApp(bridge, key: key, staticRelays: ["192.0.2.1:7000", "192.0.2.2:7000"])
        try await app.test(.router) { client in
            let res = try await Self.post(client, #"{"player": "dave"}"#)
            let body = try JSONDecoder().decode(MatchResponse.self, from: Data(res.body.readableBytesView))
            #expect(body.token.relays == ["192.0.2.1:7000", "192.0.2.2:7000"])
            bridge.shutdown()
            let down = try await Self.post(client, #"{"player": "dave"}"#)
            #expect(down.status == .serviceUnavailable)
        }
        let down = try await fx.bridge(port: 1, awaitConnected: false)
        defer { down.shutdown() }
        let (app2, _) = try makeApp(down, key: key)
        try await app2.test(.router) { client in
            let res = try await Self.post(client, #"{"player": "dave"}"#)
            #expect(res.status == .serviceUnavailable)
            let err = try JSONDecoder().decode(MatchErrorBody.self, from: Data(res.body.readableBytesView))
            #expect(err.error == "redis_unavailable")
        }
    }

    @Test func devAuthenticatorIsStable() throws {
        let auth = DevAuthenticator()
        #expect(try auth.playerId(player: "alice", authorization: nil) == DevAuthenticator.stableId(name: "alice"))
        #expect(DevAuthenticator.stableId(name: "") == 0xcbf2_9ce4_8422_2325)  // FNV-1a offset basis
        #expect(try auth.playerId(player: "123", authorization: nil) == 123)
        #expect(throws: MatchError.self) { try auth.playerId(player: nil, authorization: nil) }
        #expect(throws: MatchError.self) { try auth.playerId(player: "99999999999999999999999", authorization: nil) }
    }
}
