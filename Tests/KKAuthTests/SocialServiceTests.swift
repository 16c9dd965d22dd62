import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKAdmin
import KKPostgres
import KKSocial
import Logging
import NIOCore
import PostgresNIO
import Testing

/// Friends, blocks and presence against the real PostgreSQL, with access tokens signed as the
/// auth service signs them and verified offline by the social service.
@Suite(.serialized) struct SocialServiceTests {
    let logger = Logger(label: "social-test")

    /// Test players: random account ids and their bearer tokens.
    struct Players: Sendable {
        let signer: AccessTokenSigner
        func token(_ account: Int64) async throws -> String {
            try await signer.sign(AccessClaims(account: account, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
        }
    }

    func withSocial(_ body: @escaping @Sendable (any TestClientProtocol, Players, PostgresClient) async throws -> Void) async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try SocialMigrations.set(), on: client, logger: logger)
            let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 ^ 0x5a) })
            let service = SocialService(store: SocialStore(client: client, logger: logger),
                                        verifier: try await AccessTokenVerifier(publicKeys: [signer.publicKey]))
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            try await Application(router: router).test(.router) { http in try await body(http, Players(signer: signer), client) }
        }
    }

    func call(_ http: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String = "",
              as token: String?) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await http.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: json)) {
            ($0.status, String(decoding: $0.body.readableBytesView, as: UTF8.self))
        }
    }

    static func ids() -> (Int64, Int64, Int64) {
        let base = Int64.random(in: 1_000_000...Int64(1) << 50)
        return (base, base + 1, base + 2)
    }

    @Test func friendRequestsAcceptDeclineCancelAndMutualAsks() async throws {
        try await withSocial { http, players, _ in
            let (a, b, c) = Self.ids()
            let (ta, tb, tc) = (try await players.token(a), try await players.token(b), try await players.token(c))
            for (t, name) in [(ta, "Ada\(a % 100000)"), (tb, "Bo\(b % 100000)"), (tc, "Cy\(c % 100000)")] {
                #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "\#(name)"}"#, as: t).0 == .ok)
            }
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "ADA\#(a % 100000)"}"#, as: tb).0 == .conflict,
                    "names are unique without case")
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "x'; DROP TABLE social.profiles;--"}"#, as: tb).0
                    == .badRequest)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(a)}"#, as: ta).0 == .badRequest)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(c + 99)}"#, as: ta).0 == .notFound)
            // a asks b; twice is a 409; b declines; a asks again and cancels.
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: ta).0 == .created)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: ta).0 == .conflict)
            let (s1, list1) = try await call(http, .get, "/v1/social/friends", as: tb)
            let incoming = (try JSONSerialization.jsonObject(with: Data(list1.utf8)) as? [String: Any])?["incoming"] as? [[String: Any]]
            #expect(s1 == .ok && incoming?.compactMap { ($0["accountId"] as? NSNumber)?.int64Value } == [a], "\(list1)")
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(a)/decline", as: tb).0 == .noContent)
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(a)/decline", as: tb).0 == .notFound)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: ta).0 == .created)
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(b)/cancel", as: ta).0 == .noContent)
            // Asked and accepted: friends both ways; removing ends it for both.
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: ta).0 == .created)
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(a)/accept", as: tb).0 == .ok)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(a)}"#, as: tb).0 == .conflict)
            #expect(try await call(http, .get, "/v1/social/friends", as: ta).1.contains("\"accountId\":\(b)"))
            #expect(try await call(http, .post, "/v1/social/friends/\(b)/remove", as: ta).0 == .noContent)
            #expect(!(try await call(http, .get, "/v1/social/friends", as: tb).1.contains("\"accountId\":\(a)")))
            // Asking each other at the same moment: one friendship, no request left over.
            async let x = call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(c)}"#, as: tb)
            async let y = call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: tc)
            let (rx, ry) = try await (x, y)
            #expect(Set([rx.0, ry.0]) == [.created, .ok], "\(rx) \(ry)")
            let (_, listB) = try await call(http, .get, "/v1/social/friends", as: tb)
            let parsed = try JSONSerialization.jsonObject(with: Data(listB.utf8)) as? [String: Any]
            let friendIds = (parsed?["friends"] as? [[String: Any]])?.compactMap { ($0["accountId"] as? NSNumber)?.int64Value }
            #expect(friendIds == [c], "\(listB)")
            #expect((parsed?["incoming"] as? [Any])?.isEmpty == true && (parsed?["outgoing"] as? [Any])?.isEmpty == true, "\(listB)")
            // No token, a bad id: 401 / 400.
            #expect(try await call(http, .get, "/v1/social/friends", as: nil).0 == .unauthorized)
            #expect(try await call(http, .post, "/v1/social/friends/requests/abc/accept", as: ta).0 == .badRequest)
        }
    }

    @Test func aBlockedPlayerCannotFindOrAskAndBlockingEndsTheFriendship() async throws {
        try await withSocial { http, players, _ in
            let (a, b, _) = Self.ids()
            let (ta, tb) = (try await players.token(a), try await players.token(b))
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "Blocker\#(a % 100000)"}"#, as: ta).0 == .ok)
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "Pest\#(b % 100000)"}"#, as: tb).0 == .ok)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(a)}"#, as: tb).0 == .created)
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(b)/accept", as: ta).0 == .ok)
            // b can find a now.
            #expect(try await call(http, .get, "/v1/social/players/\(a)", as: tb).0 == .ok)
            #expect(try await call(http, .get, "/v1/social/players?name=blocker\(a % 100000)", as: tb).1.contains("\(a)"))
            // a blocks b: the friendship ends, b cannot find or ask a any more (it looks unknown).
            #expect(try await call(http, .post, "/v1/social/blocks", #"{"accountId": \#(b)}"#, as: ta).0 == .created)
            #expect(try await call(http, .post, "/v1/social/blocks", #"{"accountId": \#(b)}"#, as: ta).0 == .noContent)
            #expect(!(try await call(http, .get, "/v1/social/friends", as: tb).1.contains("\(a)")))
            #expect(try await call(http, .get, "/v1/social/players/\(a)", as: tb).0 == .notFound)
            #expect(!(try await call(http, .get, "/v1/social/players?name=blocker", as: tb).1.contains("\(a)")))
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(a)}"#, as: tb).0 == .notFound)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(b)}"#, as: ta).0 == .conflict,
                    "the blocker must unblock first")
            #expect(try await call(http, .get, "/v1/social/blocks", as: ta).1.contains("\(b)"))
            #expect(try await call(http, .post, "/v1/social/blocks/\(b)/remove", as: ta).0 == .noContent)
            #expect(try await call(http, .get, "/v1/social/players/\(a)", as: tb).0 == .ok)
            // LIKE metacharacters in a search are plain characters.
            #expect(try await call(http, .get, "/v1/social/players?name=%25", as: tb).1 == #"{"players":[]}"#)
        }
    }

    @Test func friendsSeePresenceWhichExpiresToOffline() async throws {
        try await withSocial { http, players, client in
            let (a, b, _) = Self.ids()
            let (ta, tb) = (try await players.token(a), try await players.token(b))
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "Racer\#(a % 100000)"}"#, as: ta).0 == .ok)
            #expect(try await call(http, .put, "/v1/social/profile", #"{"displayName": "Watcher\#(b % 100000)"}"#, as: tb).0 == .ok)
            #expect(try await call(http, .post, "/v1/social/friends/requests", #"{"accountId": \#(a)}"#, as: tb).0 == .created)
            #expect(try await call(http, .post, "/v1/social/friends/requests/\(b)/accept", as: ta).0 == .ok)
            #expect(try await call(http, .get, "/v1/social/friends", as: tb).1.contains(#""presence":{"state":"offline"}"#))
            #expect(try await call(http, .post, "/v1/social/presence", #"{"state": "racing", "matchId": 4242}"#, as: ta).0 == .noContent)
            let racing = try await call(http, .get, "/v1/social/friends", as: tb).1
            #expect(racing.contains(#""state":"racing""#) && racing.contains(#""matchId":4242"#), "\(racing)")
            #expect(try await call(http, .post, "/v1/social/presence", #"{"state": "lobby"}"#, as: ta).0 == .noContent)
            #expect(try await call(http, .get, "/v1/social/friends", as: tb).1.contains(#""state":"lobby""#))
            // 90 s without a heartbeat reads as offline.
            try await client.query("UPDATE social.presence SET updated_at = now() - interval '2 minutes' WHERE account_id = \(a)", logger: logger)
            #expect(try await call(http, .get, "/v1/social/friends", as: tb).1.contains(#""state":"offline""#))
            for bad in [#"{"state": "away"}"#, #"{"state": "racing"}"#, #"{"state": "lobby", "matchId": 1}"#, "nope"] {
                #expect(try await call(http, .post, "/v1/social/presence", bad, as: ta).0 == .badRequest, "\(bad)")
            }
        }
    }
}
