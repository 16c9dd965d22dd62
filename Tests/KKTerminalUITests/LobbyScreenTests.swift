import KKLobbyCore
import KKTerminalUI
import Testing

@Suite struct LobbyScreenTests {
    func room(_ members: [(Int64, Bool)], phase: String = "open", code: String? = "ABC234") -> RoomView {
        var r = Room(id: "r1", code: code, host: members[0].0, rules: LobbyRules(tracks: ["oval", "sprint"]), nowMillis: 0)
        for (a, _) in members.dropFirst() { _ = try? r.join([a], rules: LobbyRules(tracks: ["oval", "sprint"]), nowMillis: 0) }
        for (a, ready) in members where ready { _ = try? r.setReady(a, true, rules: LobbyRules(tracks: ["oval", "sprint"]), nowMillis: 0) }
        var v = RoomView(r, rules: LobbyRules(tracks: ["oval", "sprint"]))
        v.phase = phase
        if phase == "countdown" { v.startsAtMillis = 5_000 }
        return v
    }

    @Test func keysBecomeCommandsAndTypedLinesJoinOrChat() {
        var s = LobbyScreen(me: 7, pings: ["local": 12])
        #expect(s.key(UInt8(ascii: "c")) == .send(LobbyCommand(op: .create, isPublic: false)))
        #expect(s.key(UInt8(ascii: "m")) == .send(LobbyCommand(op: .queue, pings: ["local": 12])))
        #expect(s.key(UInt8(ascii: "r")) == nil, "no room: nothing to ready")
        #expect(s.key(UInt8(ascii: "j")) == nil)
        for b in Array("abc234".utf8) { #expect(s.key(b) == nil) }
        #expect(s.key(13) == .send(LobbyCommand(op: .join, code: "abc234")))
        s.apply(LobbyMessage(type: "room", room: room([(7, false), (8, true)]), events: []))
        #expect(s.key(UInt8(ascii: "r")) == .send(LobbyCommand(op: .ready, ready: true)))
        #expect(s.key(UInt8(ascii: "2")) == .send(LobbyCommand(op: .vote, track: "sprint")))
        #expect(s.key(UInt8(ascii: "9")) == nil, "no ninth track")
        #expect(s.key(UInt8(ascii: "t")) == nil)
        for b in Array("gl hf".utf8) { _ = s.key(b) }
        #expect(s.key(13) == .send(LobbyCommand(op: .chat, text: "gl hf")))
        #expect(s.key(27) == .quit)
        #expect(s.key(3) == .quit)
    }

    @Test func rendersTheRoomCountdownAndErrorsIn80x24() {
        var s = LobbyScreen(me: 7, pings: [:])
        s.apply(LobbyMessage(type: "hello", account: 7))
        s.apply(LobbyMessage(type: "room", room: room([(7, true), (8, true)], phase: "countdown"),
                             events: [EventView(.chat(account: 8, text: "go go go"))]))
        let lines = s.render(nowMillis: 2_500)
        #expect(lines.count == 24 && lines.allSatisfy { $0.count <= 80 })
        let text = lines.joined(separator: "\n")
        #expect(text.contains("code ABC234") && text.contains("starts in 3 s") && text.contains("player 7 (host) (you)"))
        #expect(text.contains("8: go go go") && text.contains("1 oval  2 sprint"))
        s.apply(LobbyMessage(type: "error", code: "room_full", message: "the room is full"))
        #expect(s.render(nowMillis: 0)[22] == "! the room is full")
        s.apply(LobbyMessage(type: "left", events: [EventView(.kicked(account: 7))]))
        #expect(s.room == nil && s.status == "you were removed from the room")
    }
}
