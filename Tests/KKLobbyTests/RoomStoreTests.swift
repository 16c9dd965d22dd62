import Foundation
import KKLobby
import KKLobbyCore
import KKRedis
import KKTestSupport
import Testing

/// Rooms in a real Redis, changed by two "lobby instances" (two bridges): codes, member
/// pointers (one room per player), no lost update when both change one room at once, and a
/// room that disappears with its last member.
@Suite(.serialized) struct RoomStoreTests {
    let rules = LobbyRules(tracks: ["oval", "canyon"])

    func bridge() async throws -> RedisCommandBridge {
        let (stream, cont) = AsyncStream.makeStream(of: Bool.self)
        let b = try RedisCommandBridge(options: .init(port: try RedisTestServer.port()), onConnectionChange: { cont.yield($0) })
        if !b.isConnected { for await up in stream where up { break } }
        return b
    }

    @Test func twoInstancesShareRoomsAndNeverLoseAJoin() async throws {
        let (b1, b2) = (try await bridge(), try await bridge())
        defer { b1.shutdown(); b2.shutdown() }
        let prefix = "lt\(UInt32.random(in: 0...UInt32.max)):"
        let one = RoomStore(redis: b1, prefix: prefix, rules: rules), two = RoomStore(redis: b2, prefix: prefix, rules: rules)
        let room = try await one.create(host: 1, isPublic: false, random: (0..<8).map { _ in UInt8.random(in: 0...255) }, nowMillis: 0)
        let code = try #require(room.code)
        // The other instance finds it by the code, typed any way.
        let id = try await two.roomId(code: code.lowercased())
        #expect(id == room.id)
        await #expect(throws: LobbyStoreError.unknownCode) { try await two.roomId(code: "ZZZZZ2") }
        let (after, events) = try await two.apply(id) { (r) throws(RoomError) in try r.join([2, 3], rules: rules, nowMillis: 1) }
        #expect(after.accounts == [1, 2, 3] && events == [.joined(account: 2), .joined(account: 3)])
        #expect(try await one.roomOf(3) == id)
        // One room per player.
        let other = try await two.create(host: 9, isPublic: true, random: [], nowMillis: 0)
        await #expect(throws: LobbyStoreError.inAnotherRoom(9)) {
            try await one.apply(id) { (r) throws(RoomError) in try r.join([9], rules: rules, nowMillis: 2) }
        }
        // Fill to seven, then two instances take the last seat at once: one gets it, one hears "full".
        _ = try await one.apply(id) { (r) throws(RoomError) in try r.join([4, 5, 6, 7], rules: rules, nowMillis: 3) }
        async let x: Result<Room, LobbyStoreError> = { () async -> Result<Room, LobbyStoreError> in
            do throws(LobbyStoreError) { return .success(try await one.apply(id) { (r) throws(RoomError) in try r.join([20], rules: rules, nowMillis: 4) }.0) }
            catch { return .failure(error) }
        }()
        async let y: Result<Room, LobbyStoreError> = { () async -> Result<Room, LobbyStoreError> in
            do throws(LobbyStoreError) { return .success(try await two.apply(id) { (r) throws(RoomError) in try r.join([21], rules: rules, nowMillis: 4) }.0) }
            catch { return .failure(error) }
        }()
        let (rx, ry) = await (x, y)
        let wins = [rx, ry].filter { if case .success = $0 { true } else { false } }.count
        let full = [rx, ry].filter { $0 == .failure(.room(.full)) }.count
        #expect(wins == 1 && full == 1, "\(rx) \(ry)")
        let final = try #require(try await one.room(id))
        #expect(final.members.count == 8)
        // Everyone leaves: the room, its code and the pointers are gone.
        for a in final.accounts { _ = try await two.apply(id) { (r) throws(RoomError) in try r.leave(a) } }
        #expect(try await one.room(id) == nil)
        await #expect(throws: LobbyStoreError.unknownCode) { try await one.roomId(code: code) }
        let gone = try await one.roomOf(1), kept = try await one.roomOf(9)
        #expect(gone == nil && kept == other.id)
        await #expect(throws: LobbyStoreError.unknownRoom) { try await one.apply(id) { (r) throws(RoomError) in try r.leave(1) } }
    }
}
