import KKLobby
import KKVoiceCore
import Testing
@testable import KKVoice

/// The voice service's bookkeeping without sockets: who is told to connect, disconnect and
/// whom they hear, from position reports, parties, sockets opening and closing, matches ending.
struct VoiceRoomsTests {
    /// Everything queued for each player so far (their connections are finished to read it).
    func messages(_ conns: [Int64: LobbyHub.Connection]) async -> [Int64: [VoiceMessage]] {
        var out: [Int64: [VoiceMessage]] = [:]
        for (p, c) in conns {
            c.finish()
            for await o in c.outbound {
                if case .text(let t) = o, let m = try? VoiceMessage.decode(Array(t.utf8)) { out[p, default: []].append(m) }
            }
        }
        return out
    }

    func pos(_ m: UInt64, _ karts: [Int64: (Double, Double)]) -> PositionReport {
        .positions(match: m, tick: 1, karts: karts.mapValues { KartPosition(x: $0.0, y: $0.1) })
    }

    @Test func rangeLinksOnlyConnectedPlayersAndEndsWithTheMatch() async throws {
        let hub = LobbyHub()
        let rooms = VoiceRooms(hub: hub, model: .standard)
        let c1 = hub.add(account: 1), c2 = hub.add(account: 2)
        await rooms.connect(1, session: c1.id, party: [])
        await rooms.apply(pos(9, [1: (0, 0), 2: (10, 0), 3: (11, 0)]), nowMillis: 0)
        // 2 has no socket yet: nobody is told to connect; then it connects.
        await rooms.connect(2, session: c2.id, party: [])
        let l12 = await rooms.linked(1, 2), l13 = await rooms.linked(1, 3)
        #expect(l12 && l13, "3 is in range but has no socket")
        await #expect(throws: VoiceError.notInRange(3)) { try await rooms.authorize(from: 1, to: 3) }
        try await rooms.authorize(from: 1, to: 2)
        await #expect(throws: VoiceError.notInMatch) { try await rooms.authorize(from: 5, to: 1) }
        // The match stops reporting: swept, both disconnected.
        await rooms.sweep(nowMillis: 20_000, idleMillis: 10_000)
        #expect(await rooms.matchCount == 0)
        let m = await messages([1: c1, 2: c2])
        #expect(m[1]?.filter { $0.type == "connect" }.map(\.peer) == [2] && m[1]?.first { $0.type == "connect" }?.initiator == true)
        #expect(m[2]?.filter { $0.type == "connect" }.map(\.peer) == [1] && m[2]?.first { $0.type == "connect" }?.initiator == false)
        #expect(m[1]?.filter { $0.type == "disconnect" }.map(\.peer) == [2] && m[2]?.filter { $0.type == "disconnect" }.map(\.peer) == [1])
        let heard = m[1]?.filter { $0.type == "audible" }.compactMap(\.speakers)
        #expect(heard?.first { !$0.isEmpty }?.map(\.player) == [2] && heard?.last == [], "\(String(describing: heard))")
    }

    @Test func partyMembersAreLinkedAtAnyDistanceAndOutsideAMatch() async throws {
        let hub = LobbyHub()
        let rooms = VoiceRooms(hub: hub, model: .standard)
        let c1 = hub.add(account: 1), c2 = hub.add(account: 2), c3 = hub.add(account: 3)
        await rooms.connect(1, session: c1.id, party: [1, 2])
        await rooms.connect(2, session: c2.id, party: [1, 2])
        await rooms.connect(3, session: c3.id, party: [])
        #expect(await rooms.linked(1, 2), "a party talks in the lobby, before any match")
        await rooms.apply(pos(4, [1: (0, 0), 2: (500, 0), 3: (1, 0)]), nowMillis: 0)
        let (p12, p13, p23) = (await rooms.linked(1, 2), await rooms.linked(1, 3), await rooms.linked(2, 3))
        #expect(p12 && p13 && !p23)
        // 2 closes its socket: 1 is told to disconnect from it.
        await rooms.disconnect(2, session: c2.id)
        let m = await messages([1: c1, 2: c2, 3: c3])
        #expect(Set(m[1]?.filter { $0.type == "connect" }.compactMap(\.peer) ?? []) == [2, 3])
        #expect(m[1]?.filter { $0.type == "disconnect" }.map(\.peer) == [2])
        let lastHeard = m[1]?.last { $0.type == "audible" }?.speakers ?? []
        #expect(lastHeard.map(\.player) == [3], "\(lastHeard)")
        let partyGain = m[1]?.compactMap(\.speakers).flatMap { $0 }.first { $0.player == 2 }?.gain
        #expect(partyGain == 1, "a party member far away is heard at full volume")
    }

    @Test func aPlayerMovingToAnotherMatchLeavesTheFirst() async throws {
        let hub = LobbyHub()
        let rooms = VoiceRooms(hub: hub, model: .standard)
        let c1 = hub.add(account: 1), c2 = hub.add(account: 2)
        await rooms.connect(1, session: c1.id, party: [])
        await rooms.connect(2, session: c2.id, party: [])
        await rooms.apply(pos(1, [1: (0, 0), 2: (1, 0)]), nowMillis: 0)
        #expect(await rooms.linked(1, 2))
        await rooms.apply(pos(2, [2: (0, 0)]), nowMillis: 10)
        let (still, m2, m1) = (await rooms.linked(1, 2), await rooms.match(of: 2), await rooms.match(of: 1))
        #expect(!still && m2 == 2 && m1 == 1)
        await rooms.apply(.ended(match: 1), nowMillis: 20)
        #expect(await rooms.match(of: 1) == nil)
        let m = await messages([1: c1, 2: c2])
        #expect(m[1]?.filter { $0.type == "disconnect" }.map(\.peer) == [2])
    }
}

extension VoiceRoomsTests {
    /// A second socket of one player replaces the first: its peers are told to disconnect, then
    /// both get a fresh connect; the old socket's late close changes nothing.
    @Test func aReplacingSocketGetsFreshConnectsAndTheOldCloseIsIgnored() async throws {
        let hub = LobbyHub()
        let rooms = VoiceRooms(hub: hub, model: .standard)
        let c1 = hub.add(account: 1), c2 = hub.add(account: 2)
        await rooms.connect(1, session: c1.id, party: [])
        await rooms.connect(2, session: c2.id, party: [])
        await rooms.apply(pos(3, [1: (0, 0), 2: (1, 0)]), nowMillis: 0)
        let c2b = hub.add(account: 2)  // closes c2 in the hub
        await rooms.connect(2, session: c2b.id, party: [])
        await rooms.disconnect(2, session: c2.id)  // the old socket's cleanup, late
        #expect(await rooms.linked(1, 2))
        try await rooms.authorize(from: 1, to: 2)
        let m = await messages([1: c1, 2: c2b])
        #expect(m[1]?.filter { $0.type == "connect" || $0.type == "disconnect" }.map(\.type) == ["connect", "disconnect", "connect"])
        #expect(m[2]?.filter { $0.type == "connect" }.map(\.peer) == [1], "the new socket is told to connect")
    }

    /// A party link needs both sides: a player who left (and reconnected with no party) is not
    /// linked to the members any more, though they still list them.
    @Test func aPartyLinkNeedsBothSides() async throws {
        let hub = LobbyHub()
        let rooms = VoiceRooms(hub: hub, model: .standard)
        let c1 = hub.add(account: 1), c2 = hub.add(account: 2)
        await rooms.connect(1, session: c1.id, party: [1, 2])
        await rooms.connect(2, session: c2.id, party: [])
        #expect(await !rooms.linked(1, 2))
        await #expect(throws: VoiceError.notInMatch) { try await rooms.authorize(from: 2, to: 1) }
        await #expect(throws: VoiceError.notInRange(2)) { try await rooms.authorize(from: 1, to: 2) }
        // 2 joins the party (read again): linked; 1 leaves it: unlinked.
        await rooms.setParty(2, party: [1, 2])
        #expect(await rooms.linked(1, 2))
        await rooms.setParty(1, party: [])
        #expect(await !rooms.linked(1, 2))
        let m = await messages([1: c1, 2: c2])
        #expect(m[1]?.filter { $0.type == "connect" || $0.type == "disconnect" }.map(\.type) == ["connect", "disconnect"])
    }
}
