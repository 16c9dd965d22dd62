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

/// Parties against the real PostgreSQL: invitations among friends, joining, leaving (leadership
/// passes on), kicking, the size limit under concurrent joins, and the party ticket the match
/// service takes.
@Suite(.serialized) struct PartyTests {
    let logger = Logger(label: "party-test")

    @Test func aPartyFormsAmongFriendsAndItsTicketNamesItsMembers() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try SocialMigrations.set(), on: client, logger: logger)
            let store = SocialStore(client: client, logger: logger)
            let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 ^ 0x33) })
            let verifier = try await AccessTokenVerifier(publicKeys: [signer.publicKey])
            let service = SocialService(store: store, verifier: verifier, ticketSigner: signer)
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            let base = Int64.random(in: 1_000_000...Int64(1) << 50)
            let (a, b, c, d, e) = (base, base + 1, base + 2, base + 3, base + 4)
            for p in [a, b, c, d, e] { #expect(try await store.setProfile(account: p, name: "P\(p % 1_000_000)")) }
            for f in [b, c, d] {
                _ = try await store.requestFriend(from: a, to: f)
                #expect(try await store.accept(me: f, from: a))
            }
            var signed: [Int64: String] = [:]
            for p in [a, b, c, d, e] {
                signed[p] = try await signer.sign(AccessClaims(account: p, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
            }
            let tokens = signed
            try await Application(router: router).test(.router) { http in
                func call(_ m: HTTPRequest.Method, _ uri: String, _ body: String = "", as p: Int64) async throws -> (HTTPResponse.Status, String) {
                    try await http.execute(uri: uri, method: m, headers: [.contentType: "application/json", .authorization: "Bearer \(tokens[p]!)"],
                                           body: ByteBuffer(string: body)) { ($0.status, String(decoding: $0.body.readableBytesView, as: UTF8.self)) }
                }
                let (s0, created) = try await call(.post, "/v1/social/party", as: a)
                #expect(s0 == .created)
                let party = try #require((try JSONSerialization.jsonObject(with: Data(created.utf8)) as? [String: Any])?["partyId"] as? NSNumber).int64Value
                #expect(try await call(.post, "/v1/social/party", as: a).0 == .conflict, "one party per player")
                #expect(try await call(.post, "/v1/social/party/invite", #"{"accountId": \#(b)}"#, as: a).0 == .created)
                #expect(try await call(.post, "/v1/social/party/invite", #"{"accountId": \#(e)}"#, as: a).0 == .conflict, "friends only")
                #expect(try await call(.get, "/v1/social/party", as: b).1.contains("\"partyId\":\(party)"))
                #expect(try await call(.post, "/v1/social/party/\(party)/join", as: b).0 == .ok)
                #expect(try await call(.post, "/v1/social/party/\(party)/join", as: c).0 == .notFound, "not invited")
                #expect(try await call(.post, "/v1/social/party", as: b).0 == .conflict)
                #expect(try await call(.post, "/v1/social/party/invite", #"{"accountId": \#(c)}"#, as: b).0 == .forbidden)
                #expect(try await call(.post, "/v1/social/party/invite", #"{"accountId": \#(c)}"#, as: a).0 == .created)
                #expect(try await call(.post, "/v1/social/party/\(party)/decline", as: c).0 == .noContent)
                #expect(try await call(.post, "/v1/social/party/invite", #"{"accountId": \#(d)}"#, as: a).0 == .created)
                #expect(try await call(.post, "/v1/social/party/\(party)/join", as: d).0 == .ok)
                // The ticket: leader only; the leader first, then the others; the match service's
                // verifier reads it, and it never passes as an access token.
                #expect(try await call(.post, "/v1/social/party/ticket", as: b).0 == .forbidden)
                let (s1, t) = try await call(.post, "/v1/social/party/ticket", as: a)
                #expect(s1 == .ok)
                let ticket = try #require((try JSONSerialization.jsonObject(with: Data(t.utf8)) as? [String: Any])?["ticket"] as? String)
                let claims = try #require(await verifier.verifyPartyTicket(ticket))
                #expect(claims.leader == a && claims.members == [a, b, d] && claims.party == party)
                #expect(await verifier.verify(ticket) == nil)
                #expect(await verifier.verifyPartyTicket(tokens[a]!) == nil)
                // The leader leaves: the longest-standing member leads; they kick; the last one out ends it.
                #expect(try await call(.post, "/v1/social/party/leave", as: a).0 == .noContent)
                #expect(try await call(.post, "/v1/social/party/ticket", as: a).0 == .notFound)
                let (_, view) = try await call(.get, "/v1/social/party", as: d)
                #expect(view.contains("\"leader\":\(b)"), "\(view)")
                #expect(try await call(.post, "/v1/social/party/kick", #"{"accountId": \#(b)}"#, as: d).0 == .forbidden)
                #expect(try await call(.post, "/v1/social/party/kick", #"{"accountId": \#(d)}"#, as: d).0 == .badRequest)
                #expect(try await call(.post, "/v1/social/party/kick", #"{"accountId": \#(d)}"#, as: b).0 == .noContent)
                #expect(try await call(.post, "/v1/social/party/leave", as: b).0 == .noContent)
                let gone = try await call(.get, "/v1/social/party", as: b).1
                #expect(!gone.contains("\"partyId\":\(party)"), "\(gone)")
                #expect(try await call(.post, "/v1/social/party/leave", as: b).0 == .notFound)
            }
        }
    }

    /// Ten invited friends join a party of one at once: exactly seven get in (eight in all).
    @Test func concurrentJoinsNeverOverfillAParty() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try SocialMigrations.set(), on: client, logger: logger)
            let store = SocialStore(client: client, logger: logger)
            let leader = Int64.random(in: 1_000_000...Int64(1) << 50)
            let friends = (1...10).map { leader + Int64($0) }
            #expect(try await store.setProfile(account: leader, name: "L\(leader % 1_000_000)"))
            for f in friends {
                #expect(try await store.setProfile(account: f, name: "F\(f % 1_000_000)"))
                _ = try await store.requestFriend(from: leader, to: f)
                #expect(try await store.accept(me: f, from: leader))
            }
            let party = try #require(try await store.createParty(me: leader))
            for f in friends.prefix(7) { #expect(try await store.invite(me: leader, target: f) == .done) }
            // Invitations are capped by the members, not the invitations: invite the rest too.
            for f in friends.dropFirst(7) { #expect(try await store.invite(me: leader, target: f) == .done) }
            let results = try await withThrowingTaskGroup(of: SocialStore.PartyResult.self) { group in
                for f in friends { group.addTask { try await store.join(me: f, party: party) } }
                return try await group.reduce(into: [SocialStore.PartyResult]()) { $0.append($1) }
            }
            #expect(results.filter { $0 == .done }.count == 7 && results.filter { $0 == .full }.count == 3, "\(results)")
            #expect(try await store.party(of: leader)?.members.count == SocialStore.maxMembers)
            #expect(try await store.invite(me: leader, target: friends[0]) == .alreadyMember)
        }
    }
}
