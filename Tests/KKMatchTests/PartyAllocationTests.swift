import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKMatch
import KKToken
import Prometheus
import Testing

/// A party's seats, all in one match on one shard, reserved atomically by one script (real
/// Redis); each member's own request then finds its seat.
@Suite struct PartyAllocationTests {
    @Test func aPartySitsTogetherAndEachMemberFindsTheirSeat() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        let b = try await fx.bridge(playersPerMatch: 8)
        defer { b.shutdown() }
        // A stranger first: the party of 3 joins the same open match (room for 7).
        let stranger = try await b.allocate(playerId: 100)
        let group = try await b.allocateGroup(players: [1, 2, 3], ticketId: "t1")
        #expect(group.kind == .group && group.matchId == stranger.matchId)
        var slots: Set<Int> = []
        for p: UInt64 in [1, 2, 3] {
            let a = try await b.allocate(playerId: p)
            #expect(a.matchId == group.matchId && a.kind == .existing)
            slots.insert(a.slot)
        }
        #expect(slots == [1, 2, 3])
        #expect(fx.text("HGET", fx.keys.match(group.matchId), "players") == "4")
        // A ticket is taken once; a new ticket for the seated party is the same match; a party
        // with a member seated elsewhere is refused.
        await #expect(throws: MatchError.ticketUsed) { try await b.allocateGroup(players: [1, 2, 3], ticketId: "t1") }
        #expect(try await b.allocateGroup(players: [1, 2, 3], ticketId: "t2").matchId == group.matchId)
        await #expect(throws: MatchError.partyBusy) { try await b.allocateGroup(players: [3, 4], ticketId: "t3") }
        // Five more do not fit the 4 free seats: a new match, all five together.
        let five = try await b.allocateGroup(players: [10, 11, 12, 13, 14], ticketId: "t4")
        #expect(five.matchId != group.matchId)
        for p: UInt64 in [10, 14] { #expect(try await b.allocate(playerId: p).matchId == five.matchId) }
        await #expect(throws: MatchError.badRequest("the party is larger than a match")) {
            try await b.allocateGroup(players: Array(20...28), ticketId: "t5")
        }
    }

    /// Through the match service: the leader's request with a party ticket seats the party; a
    /// ticket of another leader, or a forged one, is refused.
    @Test func theMatchServiceTakesAPartyTicketFromItsLeader() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("s1")
        fx.addRelay("r1", addr: "10.0.0.1:7000")
        let bridge = try await fx.bridge()
        defer { bridge.shutdown() }
        await bridge.refreshRelays()
        let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 &* 3) })
        let auth = BearerAuthenticator(verifier: try await AccessTokenVerifier(publicKeys: [signer.publicKey]))
        let service = try MatchService(allocator: bridge, authenticator: auth,
                                       config: MatchServiceConfig(tokenKey: try TokenKey.random(), tokenSeconds: 30, staticRelays: []),
                                       metricsFactory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        let router = Router()
        service.addRoutes(to: router)
        @Sendable func bearer(_ p: Int64) async throws -> String {
            try await signer.sign(AccessClaims(account: p, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
        }
        let ticket = try await signer.sign(PartyTicketClaims(leader: 501, party: 9, members: [501, 502, 503], issuedAt: Date()))
        let forger = try await AccessTokenSigner(seed: [UInt8](repeating: 1, count: 32))
        let forged = try await forger.sign(PartyTicketClaims(leader: 501, party: 9, members: [501, 502], issuedAt: Date()))
        try await Application(router: router).test(.router) { client in
            func post(_ who: Int64, _ body: String) async throws -> (HTTPResponse.Status, MatchResponse?) {
                try await client.execute(uri: "/v1/match", method: .post,
                                         headers: [.contentType: "application/json", .authorization: "Bearer \(try await bearer(who))"],
                                         body: ByteBuffer(string: body)) {
                    ($0.status, try? JSONDecoder().decode(MatchResponse.self, from: Data($0.body.readableBytesView)))
                }
            }
            #expect(try await post(502, #"{"party": "\#(ticket)"}"#).0 == .unauthorized, "only its leader")
            #expect(try await post(501, #"{"party": "\#(forged)"}"#).0 == .badRequest)
            let (s, leader) = try await post(501, #"{"party": "\#(ticket)"}"#)
            #expect(s == .ok && leader?.token.playerId == 501)
            #expect(try await post(501, #"{"party": "\#(ticket)"}"#).0 == .conflict, "a ticket is taken once")
            for m: Int64 in [502, 503] {
                let (sm, r) = try await post(m, "{}")
                #expect(sm == .ok && r?.matchId == leader?.matchId && r?.token.playerId == UInt64(m))
            }
        }
    }
}
