import Foundation
import Hummingbird
import KKAccessToken
import KKAdmin
import KKPostgres

/// The social routes (Hummingbird) over ``SocialStore``. Every route needs the auth service's
/// bearer access token, verified offline (``AccessTokenVerifier``): the account acts as itself.
/// A player who blocked the caller cannot be found, asked or seen by them (404, as if unknown).
///
/// - `PUT /v1/social/profile` `{"displayName"}`: 3-24 letters, digits, `_`, `-`, `.` or spaces (409 taken).
/// - `GET /v1/social/players/{id}`: a profile. `GET /v1/social/players?name=prefix`: up to 20.
/// - `POST /v1/social/friends/requests` `{"accountId"}`: ask (201), or become friends at once when
///   they had asked too (200); 400 to oneself, 404 unknown or blocked, 409 already friends / asked
///   / blocked by you.
/// - `POST /v1/social/friends/requests/{id}/accept|decline` (their request to me), `.../cancel`
///   (mine to them), `POST /v1/social/friends/{id}/remove`: 200/204, 404 when there is none.
/// - `GET /v1/social/friends`: friends with presence (offline / online / lobby / racing + match),
///   and pending requests both ways.
/// - `POST /v1/social/blocks` `{"accountId"}` (ends friendship and requests), `POST
///   /v1/social/blocks/{id}/remove`, `GET /v1/social/blocks`.
/// - `POST /v1/social/presence` `{"state": "online"|"lobby"|"racing", "matchId"?}`: the client's
///   heartbeat (offline after 90 s without one).
/// - Parties (``SocialStore/maxMembers``, one per player): `POST /v1/social/party` (create, 201),
///   `GET /v1/social/party` (mine and my invitations), `POST /v1/social/party/invite`
///   `{"accountId"}` (leader, friends only), `POST /v1/social/party/{id}/join|decline`, `POST
///   /v1/social/party/leave`, `POST /v1/social/party/kick` `{"accountId"}` (leader), `POST
///   /v1/social/party/ticket` (leader): a party ticket for the match service, which seats every
///   member in one match (`POST /v1/match {"party": ticket}`).
public struct SocialService: Sendable {
    public let store: SocialStore
    public let verifier: AccessTokenVerifier
    /// Signs party tickets (the auth service's key, so the match service verifies them with the
    /// keys it already has); nil: no tickets (503).
    public let ticketSigner: AccessTokenSigner?
    public static let maxBodyBytes = 1024

    public init(store: SocialStore, verifier: AccessTokenVerifier, ticketSigner: AccessTokenSigner? = nil) {
        self.store = store; self.verifier = verifier; self.ticketSigner = ticketSigner
    }

    struct Profile: Decodable { var displayName: String }
    struct Target: Decodable { var accountId: Int64 }
    struct PresenceBody: Decodable { var state: String; var matchId: Int64? }
    struct Players: Encodable { var players: [SocialStore.Player] }
    struct FriendList: Encodable { var friends: [SocialStore.Friend]; var incoming: [SocialStore.Player]; var outgoing: [SocialStore.Player] }
    struct Blocks: Encodable { var blocked: [Int64] }
    struct Status: Encodable { var status: String }
    struct Created: Encodable { var partyId: Int64 }
    struct PartyView: Encodable { var party: SocialStore.Party?; var invitations: [SocialStore.PartyInvitation] }
    struct Ticket: Encodable { var ticket: String; var members: [Int64]; var expiresIn: Int }

    func partyResult(_ r: SocialStore.PartyResult, ok: HTTPResponse.Status) throws(SocialError) -> Response {
        switch r {
        case .done: return Response(status: ok)
        case .notInParty: throw .notFound("not in a party")
        case .notLeader: throw .forbidden("only the party's leader may")
        case .alreadyInParty: throw .conflict("already in a party: leave it first")
        case .notInvited: throw .notFound("no invitation from this party")
        case .full: throw .conflict("the party is full (\(SocialStore.maxMembers))")
        case .notFriend: throw .conflict("only friends can be invited")
        case .alreadyMember: throw .conflict("already a member")
        }
    }

    static func checkName(_ name: String) throws(SocialError) {
        guard (3...24).contains(name.count), name.first != " ", name.last != " ",
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == " " }) else {
            throw .badRequest("displayName: 3-24 letters, digits, _, -, . or inner spaces")
        }
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.put("/v1/social/profile") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: Profile = try await decode(req)
                try Self.checkName(body.displayName)
                guard try await run({ try await store.setProfile(account: me, name: body.displayName) }) else {
                    throw .conflict("the name is taken")
                }
                return ServiceHTTP.json(.ok, SocialStore.Player(accountId: me, displayName: body.displayName))
            }
        }
        router.get("/v1/social/players/:id") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let target = try id(ctx)
                guard let p = try await run({ try await store.profile(target, viewer: me) }) else { throw .notFound("no such player") }
                return ServiceHTTP.json(.ok, p)
            }
        }
        router.get("/v1/social/players") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                guard let prefix = req.uri.queryParameters.get("name"), (1...24).contains(prefix.count) else {
                    throw .badRequest("name: 1-24 characters")
                }
                return ServiceHTTP.json(.ok, Players(players: try await run({ try await store.search(prefix: prefix, viewer: me) })))
            }
        }
        router.post("/v1/social/friends/requests") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: Target = try await decode(req)
                guard body.accountId != me else { throw .badRequest("you cannot befriend yourself") }
                guard body.accountId > 0 else { throw .badRequest("accountId must be positive") }
                switch try await run({ try await store.requestFriend(from: me, to: body.accountId) }) {
                case .requested: return ServiceHTTP.json(.created, Status(status: "requested"))
                case .becameFriends: return ServiceHTTP.json(.ok, Status(status: "friends"))
                case .unknown: throw .notFound("no such player")
                case .alreadyFriends: throw .conflict("already friends")
                case .alreadyRequested: throw .conflict("already asked")
                case .blockedByYou: throw .conflict("you blocked this player")
                }
            }
        }
        router.post("/v1/social/friends/requests/:id/accept") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let from = try id(ctx)
                guard try await run({ try await store.accept(me: me, from: from) }) else { throw .notFound("no request from this player") }
                return ServiceHTTP.json(.ok, Status(status: "friends"))
            }
        }
        router.post("/v1/social/friends/requests/:id/decline") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let from = try id(ctx)
                guard try await run({ try await store.dropRequest(from: from, to: me) }) else { throw .notFound("no request from this player") }
                return Response(status: .noContent)
            }
        }
        router.post("/v1/social/friends/requests/:id/cancel") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let to = try id(ctx)
                guard try await run({ try await store.dropRequest(from: me, to: to) }) else { throw .notFound("no request to this player") }
                return Response(status: .noContent)
            }
        }
        router.post("/v1/social/friends/:id/remove") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let other = try id(ctx)
                guard try await run({ try await store.unfriend(me, other) }) else { throw .notFound("not friends") }
                return Response(status: .noContent)
            }
        }
        router.get("/v1/social/friends") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let (friends, incoming, outgoing) = try await run({ try await store.friends(me: me) })
                return ServiceHTTP.json(.ok, FriendList(friends: friends, incoming: incoming, outgoing: outgoing))
            }
        }
        router.post("/v1/social/blocks") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: Target = try await decode(req)
                guard body.accountId != me, body.accountId > 0 else { throw .badRequest("accountId must be another player's") }
                let added = try await run({ try await store.block(me: me, other: body.accountId) })
                return Response(status: added ? .created : .noContent)
            }
        }
        router.post("/v1/social/blocks/:id/remove") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let other = try id(ctx)
                guard try await run({ try await store.unblock(me: me, other: other) }) else { throw .notFound("not blocked") }
                return Response(status: .noContent)
            }
        }
        router.get("/v1/social/blocks") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                return ServiceHTTP.json(.ok, Blocks(blocked: try await run({ try await store.blocks(me: me) })))
            }
        }
        router.post("/v1/social/party") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                guard let id = try await run({ try await store.createParty(me: me) }) else { throw .conflict("already in a party: leave it first") }
                return ServiceHTTP.json(.created, Created(partyId: id))
            }
        }
        router.get("/v1/social/party") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let party = try await run({ try await store.party(of: me) })
                let invites = try await run({ try await store.partyInvites(of: me) })
                return ServiceHTTP.json(.ok, PartyView(party: party, invitations: invites))
            }
        }
        router.post("/v1/social/party/invite") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: Target = try await decode(req)
                guard body.accountId != me, body.accountId > 0 else { throw .badRequest("accountId must be another player's") }
                return try partyResult(try await run({ try await store.invite(me: me, target: body.accountId) }), ok: .created)
            }
        }
        router.post("/v1/social/party/:id/join") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let party = try id(ctx)
                return try partyResult(try await run({ try await store.join(me: me, party: party) }), ok: .ok)
            }
        }
        router.post("/v1/social/party/:id/decline") { req, ctx -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let party = try id(ctx)
                guard try await run({ try await store.declineParty(me: me, party: party) }) else { throw .notFound("no invitation from this party") }
                return Response(status: .noContent)
            }
        }
        router.post("/v1/social/party/leave") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                return try partyResult(try await run({ try await store.leaveParty(me: me) }), ok: .noContent)
            }
        }
        router.post("/v1/social/party/kick") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: Target = try await decode(req)
                guard body.accountId != me else { throw .badRequest("leave instead of kicking yourself") }
                return try partyResult(try await run({ try await store.leaveParty(me: me, target: body.accountId) }), ok: .noContent)
            }
        }
        router.post("/v1/social/party/ticket") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                guard let party = try await run({ try await store.party(of: me) }) else { throw .notFound("not in a party") }
                guard party.leader == me else { throw .forbidden("only the party's leader may") }
                guard let ticketSigner else { throw .storeUnavailable(.unavailable("party tickets are not configured here")) }
                let members = [me] + party.members.map(\.accountId).filter { $0 != me }
                let claims = PartyTicketClaims(leader: me, party: party.partyId, members: members, issuedAt: Date())
                let ticket = try await run({ try await ticketSigner.sign(claims) })
                return ServiceHTTP.json(.ok, Ticket(ticket: ticket, members: members, expiresIn: 60))
            }
        }
        router.post("/v1/social/presence") { req, _ -> Response in
            await respond { () throws(SocialError) in
                let me = try await caller(req)
                let body: PresenceBody = try await decode(req)
                guard ["online", "lobby", "racing"].contains(body.state) else { throw .badRequest("state: online, lobby or racing") }
                guard (body.state == "racing") == (body.matchId != nil) else { throw .badRequest("matchId goes with racing, and only with it") }
                try await run({ try await store.setPresence(me: me, state: body.state, matchId: body.matchId) })
                return Response(status: .noContent)
            }
        }
    }

    func caller(_ req: Request) async throws(SocialError) -> Int64 {
        guard let claims = await verifier.verify(authorization: req.headers[.authorization]), let id = claims.accountId else {
            throw .unauthorized
        }
        return id
    }

    func id<Context: RequestContext>(_ ctx: Context) throws(SocialError) -> Int64 {
        guard let text = ctx.parameters.get("id"), let v = Int64(text), v > 0 else { throw .badRequest("the id in the path must be a positive integer") }
        return v
    }

    func decode<T: Decodable>(_ req: Request) async throws(SocialError) -> T {
        do throws(ServiceHTTP.BodyError) { return try await ServiceHTTP.decode(req, maxBytes: Self.maxBodyBytes) } catch {
            throw .badRequest(error.description)
        }
    }

    /// A store call; its failure (always a ``PostgresStoreError``) is a 503.
    func run<T: Sendable>(_ body: () async throws -> T) async throws(SocialError) -> T {
        do { return try await body() } catch let e as PostgresStoreError { throw .storeUnavailable(e) } catch {
            throw .storeUnavailable(.unavailable("\(error)"))
        }
    }

    func respond(_ body: () async throws(SocialError) -> Response) async -> Response {
        await ServiceHTTP.respond(body)
    }
}
