import Foundation
import KKLobbyCore
import KKRedis

/// Why a player's command was refused: a stable code and words for people (an `error` message).
struct LobbyRefusal: Error {
    var code: String
    var message: String

    init(_ code: String, _ message: String) { self.code = code; self.message = message }

    init(_ e: LobbyStoreError) {
        switch e {
        case .room(let r): self.init(r.code, r.description)
        case .unknownRoom: self.init("unknown_room", "no such room (it may have closed)")
        case .unknownCode: self.init("unknown_code", "no room has this code")
        case .inAnotherRoom(let a): self.init("in_another_room", "player \(a) is in another room: leave it first")
        case .contended: self.init("busy", "the room is changing fast; try again")
        case .redis: self.init("unavailable", "the lobby's store is unavailable; try again")
        }
    }

    init(_ e: QueueStoreError) {
        switch e {
        case .alreadyQueued(let a): self.init("already_queued", "player \(a) is already queued")
        case .inRoom(let a): self.init("in_room", "player \(a) is in a room: leave it first")
        case .notQueued: self.init("not_queued", "not in the quick-play queue")
        case .redis: self.init("unavailable", "the lobby's store is unavailable; try again")
        }
    }
}

extension LobbyService {
    /// One command from a player's socket: its reply (`ok` or `error`) goes to the socket, its
    /// effects to the room's members through the bus.
    func handle(_ text: String, conn: LobbyHub.Connection) async {
        guard let cmd = try? JSONDecoder().decode(LobbyCommand.self, from: Data(text.utf8)) else {
            metrics.count("commands", "result", "bad_command")
            let known = LobbyCommand.Op.allCases.map(\.rawValue).joined(separator: ", ")
            conn.send(.text(Self.encode(LobbyMessage(type: "error", code: "bad_command",
                                                     message: "expected JSON {\"op\": one of \(known), ...}"))))
            return
        }
        do {
            try await run(cmd, conn: conn)
            metrics.count("commands", "result", "ok")
            conn.send(.text(Self.encode(LobbyMessage(type: "ok", ref: cmd.ref))))
        } catch let r as LobbyRefusal {
            metrics.count("commands", "result", r.code)
            conn.send(.text(Self.encode(LobbyMessage(type: "error", ref: cmd.ref, code: r.code, message: r.message))))
        } catch {
            metrics.count("commands", "result", "internal")
            conn.send(.text(Self.encode(LobbyMessage(type: "error", ref: cmd.ref, code: "internal", message: "\(error)"))))
        }
    }

    func apply(_ id: String, _ now: Int64, _ command: (inout Room) throws(RoomError) -> [RoomEvent]) async throws(LobbyRefusal) {
        do throws(LobbyStoreError) {
            let (room, events) = try await store.apply(id, nowMillis: now, command)
            await broadcast(room, events)
        } catch { throw LobbyRefusal(error) }
    }

    func myRoom(_ a: Int64) async throws(LobbyRefusal) -> String {
        let id: String?
        do throws(LobbyStoreError) { id = try await store.roomOf(a) } catch { throw LobbyRefusal(error) }
        guard let id else { throw LobbyRefusal("not_in_room", "you are not in a room") }
        return id
    }

    /// Who joins: the caller, or (with a party ticket the caller leads) the whole party. A
    /// ticket is taken once.
    func joiners(_ cmd: LobbyCommand, me: Int64) async throws(LobbyRefusal) -> [Int64] {
        guard let ticket = cmd.party else { return [me] }
        guard let claims = await verifier.verifyPartyTicket(ticket), claims.leader == me else {
            throw LobbyRefusal("bad_party_ticket", "the party ticket is invalid, expired, or not yours")
        }
        let used = await redis.command(["SET", .string(config.prefix + "lobby:party-ticket:" + claims.jti.value), "1", "NX", "PX", "120000"])
        guard used == .status("OK") else { throw LobbyRefusal("ticket_used", "this party ticket was used already") }
        return claims.members
    }

    func run(_ cmd: LobbyCommand, conn: LobbyHub.Connection) async throws(LobbyRefusal) {
        let me = conn.account
        let now = Self.nowMillis()
        let rules = config.rules
        switch cmd.op {
        case .state:
            await sendState(conn, reconnect: false, ref: cmd.ref)
        case .create:
            try await notQueued(me)
            let current: String?
            do throws(LobbyStoreError) { current = try await store.roomOf(me) } catch { throw LobbyRefusal(error) }
            if current != nil { throw LobbyRefusal("already_in_room", "you are in a room: leave it first") }
            _ = await redis.command(["DEL", .string(pendingMatchKey(me))])
            do throws(LobbyStoreError) {
                let room = try await store.create(host: me, isPublic: cmd.isPublic ?? false, random: Self.randomBytes(16), nowMillis: now)
                await broadcast(room, [.joined(account: me)])
            } catch { throw LobbyRefusal(error) }
        case .join:
            guard let code = cmd.code else { throw LobbyRefusal("bad_command", "join needs a code") }
            let party = try await joiners(cmd, me: me)
            for p in party { try await notQueued(p) }
            let id: String
            do throws(LobbyStoreError) { id = try await store.roomId(code: code) } catch { throw LobbyRefusal(error) }
            try await apply(id, now) { (r) throws(RoomError) in try r.join(party, rules: rules, nowMillis: now) }
        case .quickJoin:
            let party = try await joiners(cmd, me: me)
            for p in party { try await notQueued(p) }
            let candidates: [String]
            do throws(LobbyStoreError) { candidates = try await store.publicRooms() } catch { throw LobbyRefusal(error) }
            for id in candidates {
                do throws(LobbyStoreError) {
                    let (room, events) = try await store.apply(id, nowMillis: now) { (r) throws(RoomError) in
                        try r.join(party, rules: rules, nowMillis: now)
                    }
                    await broadcast(room, events)
                    return
                } catch {
                    switch error {
                    case .room(.full), .room(.started), .room(.kicked), .unknownRoom, .contended: continue
                    default: throw LobbyRefusal(error)
                    }
                }
            }
            // None had room: a new public room for the party.
            do throws(LobbyStoreError) {
                let room = try await store.create(host: me, isPublic: true, random: [], nowMillis: now)
                if party.count > 1 {
                    let (r2, events) = try await store.apply(room.id, nowMillis: now) { (r) throws(RoomError) in
                        try r.join(Array(party.dropFirst()), rules: rules, nowMillis: now)
                    }
                    await broadcast(r2, [.joined(account: me)] + events)
                } else {
                    await broadcast(room, [.joined(account: me)])
                }
            } catch { throw LobbyRefusal(error) }
        case .leave:
            let id = try await myRoom(me)
            try await apply(id, now) { (r) throws(RoomError) in try r.leave(me) }
        case .kick:
            guard let target = cmd.account else { throw LobbyRefusal("bad_command", "kick needs an account") }
            let id = try await myRoom(me)
            try await apply(id, now) { (r) throws(RoomError) in try r.kick(by: me, target: target) }
        case .ready:
            let id = try await myRoom(me)
            let ready = cmd.ready ?? true
            try await apply(id, now) { (r) throws(RoomError) in try r.setReady(me, ready, rules: rules, nowMillis: now) }
        case .vote:
            guard let track = cmd.track else { throw LobbyRefusal("bad_command", "vote needs a track") }
            let id = try await myRoom(me)
            try await apply(id, now) { (r) throws(RoomError) in try r.vote(me, track: track, rules: rules) }
        case .equip:
            guard let item = cmd.item, (1...48).contains(item.utf8.count) else { throw LobbyRefusal("bad_command", "equip needs an item") }
            guard let inventory = config.inventory else {
                throw LobbyRefusal("inventory_unavailable", "the economy service is not reachable from this lobby")
            }
            let owned: [String]
            do { owned = try await inventory(me) } catch {
                throw LobbyRefusal("inventory_unavailable", "the inventory could not be read: \(error)")
            }
            guard owned.contains(item) else { throw LobbyRefusal("not_owned", "\(item) is not in your inventory") }
            let id = try await myRoom(me)
            try await apply(id, now) { (r) throws(RoomError) in try r.equip(me, item: item) }
        case .chat:
            guard let text = cmd.text else { throw LobbyRefusal("bad_command", "chat needs a text") }
            guard text.utf8.count <= rules.chatMaxCharacters * 4 else { throw LobbyRefusal(RoomError.chatTooLong.code, RoomError.chatTooLong.description) }
            let id = try await myRoom(me)
            try await apply(id, now) { (r) throws(RoomError) in try r.chat(me, text: text, rules: rules, nowMillis: now) }
        case .queue:
            let players = try await joiners(cmd, me: me)
            guard let region = RegionChoice.pick(pings: cmd.pings ?? [:], known: config.regions) else {
                throw LobbyRefusal("no_region", "no ping to a served region (\(config.regions.joined(separator: ", "))): measure the relays first")
            }
            var rating = 0.0
            for p in players { rating += await self.rating(of: p) }
            let ticket = Matchmaker.Ticket(id: UUID().uuidString.lowercased(), players: players, region: region,
                                           rating: rating / Double(players.count), enqueuedAtMillis: now)
            for p in players { _ = await redis.command(["DEL", .string(pendingMatchKey(p))]) }
            do throws(QueueStoreError) { try await queue.enqueue(ticket) } catch { throw LobbyRefusal(error) }
            metrics.count("tickets", "result", "queued")
            await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "queue", queue: QueueView(state: "waiting", ticketId: ticket.id,
                                                                                                   region: region, players: players)))),
                           to: players)
        case .cancelQueue:
            let t: Matchmaker.Ticket?
            do throws(QueueStoreError) { t = try await queue.cancel(account: me) } catch { throw LobbyRefusal(error) }
            guard let t else { throw LobbyRefusal(QueueStoreError.notQueued) }
            metrics.count("tickets", "result", "cancelled")
            await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "queue", queue: QueueView(state: "cancelled", ticketId: t.id,
                                                                                                   region: t.region, players: t.players)))),
                           to: t.players)
        }
    }

    func notQueued(_ a: Int64) async throws(LobbyRefusal) {
        let t: Matchmaker.Ticket?
        do throws(QueueStoreError) { t = try await queue.ticket(of: a) } catch { throw LobbyRefusal(error) }
        if t != nil { throw LobbyRefusal("already_queued", "player \(a) waits in quick play: cancel it first") }
    }

    /// The player's skill rating (the stats service writes `<prefix>rating:<account>`).
    func rating(of a: Int64) async -> Double {
        (await redis.command(["GET", .string(config.prefix + "rating:\(a)")])).text.flatMap(Double.init) ?? config.defaultRating
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }
}
