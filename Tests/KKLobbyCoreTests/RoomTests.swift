import KKLobbyCore
import Testing

/// The room's rules, without sockets or Redis: seats, parties as one unit, host migration,
/// kicks, ready and countdown, votes, chat limits, codes.
@Suite struct RoomTests {
    let rules = LobbyRules(tracks: ["oval", "canyon", "sprint"])

    @Test func seatsFillAndAPartyJoinsWholeOrNotAtAll() throws {
        var r = Room(id: "r1", code: "ABCDEF", host: 1, rules: rules, nowMillis: 0)
        #expect(try r.join([2], rules: rules, nowMillis: 0) == [.joined(account: 2)])
        #expect(throws: RoomError.alreadyMember) { try r.join([2], rules: rules, nowMillis: 0) }
        _ = try r.join([3, 4, 5, 6], rules: rules, nowMillis: 0)
        #expect(r.freeSeats(rules) == 2)
        // A party of three does not fit in two seats: nobody of it joins.
        #expect(throws: RoomError.full) { try r.join([7, 8, 9], rules: rules, nowMillis: 0) }
        #expect(!r.contains(7) && r.members.count == 6)
        _ = try r.join([7, 8], rules: rules, nowMillis: 0)
        #expect(throws: RoomError.full) { try r.join([9], rules: rules, nowMillis: 0) }
        #expect(throws: RoomError.partyTooLarge) { try r.join(Array(10...18), rules: rules, nowMillis: 0) }
        var s = Room(id: "r2", code: nil, host: 1, rules: rules, nowMillis: 0)
        #expect(throws: RoomError.alreadyMember) { try s.join([5, 5], rules: rules, nowMillis: 0) }
    }

    @Test func theHostPassesOnAndTheLastOneOutClosesTheRoom() throws {
        var r = Room(id: "r1", code: nil, host: 1, rules: rules, nowMillis: 0)
        _ = try r.join([2, 3], rules: rules, nowMillis: 0)
        #expect(throws: RoomError.notHost) { try r.kick(by: 2, target: 3) }
        #expect(try r.leave(1) == [.left(account: 1), .hostChanged(account: 2)])
        #expect(r.host == 2)
        #expect(try r.kick(by: 2, target: 3) == [.kicked(account: 3)])
        #expect(throws: RoomError.kicked) { try r.join([3], rules: rules, nowMillis: 0) }
        #expect(throws: RoomError.notMember) { try r.leave(3) }
        #expect(try r.leave(2) == [.left(account: 2), .closed])
        #expect(r.isEmpty)
    }

    @Test func allReadyStartsACountdownThatAnyChangeCancels() throws {
        var r = Room(id: "r1", code: nil, host: 1, rules: rules, nowMillis: 0)
        // Alone: ready does not start anything (two players at least).
        #expect(try r.setReady(1, true, rules: rules, nowMillis: 0) == [.ready(account: 1, ready: true)])
        _ = try r.join([2], rules: rules, nowMillis: 0)
        #expect(try r.setReady(2, true, rules: rules, nowMillis: 1_000) == [.ready(account: 2, ready: true), .countdown(startsAtMillis: 6_000)])
        // Someone joins: cancelled; the newcomer readies: again.
        #expect(try r.join([3], rules: rules, nowMillis: 2_000) == [.countdownCancelled, .joined(account: 3)])
        #expect(try r.setReady(3, true, rules: rules, nowMillis: 2_000).last == .countdown(startsAtMillis: 7_000))
        #expect(try r.setReady(3, false, rules: rules, nowMillis: 3_000) == [.ready(account: 3, ready: false), .countdownCancelled])
        _ = try r.setReady(3, true, rules: rules, nowMillis: 4_000)
        #expect(r.tick(nowMillis: 8_999, rules: rules).isEmpty)
        _ = try r.vote(2, track: "canyon", rules: rules)
        _ = try r.vote(3, track: "canyon", rules: rules)
        _ = try r.vote(1, track: "sprint", rules: rules)
        #expect(r.tick(nowMillis: 9_000, rules: rules) == [.start(track: "canyon", players: [1, 2, 3])])
        #expect(r.phase == .starting)
        #expect(throws: RoomError.started) { try r.join([4], rules: rules, nowMillis: 9_000) }
        #expect(throws: RoomError.started) { try r.leave(1) }
        // The allocation failed: open again, nobody ready.
        #expect(r.reopen() == [.countdownCancelled])
        #expect(r.members.allSatisfy { !$0.ready })
    }

    @Test func votesTieToTheEarliestTrackAndUnknownTracksAreRefused() throws {
        var r = Room(id: "r1", code: nil, host: 1, rules: rules, nowMillis: 0)
        _ = try r.join([2], rules: rules, nowMillis: 0)
        #expect(r.winningTrack(rules) == "oval", "no votes: the first track")
        _ = try r.vote(1, track: "sprint", rules: rules)
        _ = try r.vote(2, track: "canyon", rules: rules)
        #expect(r.winningTrack(rules) == "canyon", "a tie goes to the earlier track in the list")
        #expect(throws: RoomError.unknownTrack("moon")) { try r.vote(1, track: "moon", rules: rules) }
        #expect(throws: RoomError.notMember) { try r.vote(9, track: "oval", rules: rules) }
    }

    @Test func chatIsTrimmedLimitedInLengthAndRate() throws {
        var r = Room(id: "r1", code: nil, host: 1, rules: rules, nowMillis: 0)
        #expect(try r.chat(1, text: "  gl hf \n", rules: rules, nowMillis: 0) == [.chat(account: 1, text: "gl hf")])
        #expect(throws: RoomError.emptyChat) { try r.chat(1, text: "   ", rules: rules, nowMillis: 0) }
        #expect(throws: RoomError.chatTooLong) { try r.chat(1, text: String(repeating: "x", count: 201), rules: rules, nowMillis: 0) }
        for _ in 0..<4 { _ = try r.chat(1, text: "spam", rules: rules, nowMillis: 0) }
        #expect(throws: RoomError.chatRateLimited) { try r.chat(1, text: "spam", rules: rules, nowMillis: 100) }
        // One message more per 2 s.
        #expect(try r.chat(1, text: "ok", rules: rules, nowMillis: 2_000).count == 1)
        #expect(throws: RoomError.chatRateLimited) { try r.chat(1, text: "no", rules: rules, nowMillis: 2_500) }
        #expect(throws: RoomError.notMember) { try r.chat(5, text: "hi", rules: rules, nowMillis: 0) }
    }

    @Test func aDroppedMemberKeepsTheirSeatUntilTheHoldRunsOut() throws {
        var r = Room(id: "r1", code: nil, host: 1, rules: rules, nowMillis: 0)
        _ = try r.join([2, 3], rules: rules, nowMillis: 0)
        _ = try r.vote(2, track: "sprint", rules: rules)
        #expect(try r.disconnected(2, rules: rules, nowMillis: 1_000) == [.away(account: 2, untilMillis: 31_000)])
        #expect(r.tick(nowMillis: 30_999, rules: rules).isEmpty && r.contains(2))
        // Back in time: same seat, same vote.
        #expect(try r.reconnected(2) == [.back(account: 2)])
        #expect(r.accounts == [1, 2, 3] && r.members[1].vote == "sprint")
        #expect(r.tick(nowMillis: 40_000, rules: rules).isEmpty)
        // The host drops and does not come back: the seat is freed and the host passes on.
        _ = try r.disconnected(1, rules: rules, nowMillis: 50_000)
        #expect(r.tick(nowMillis: 80_000, rules: rules) == [.left(account: 1), .hostChanged(account: 2)])
        #expect(r.accounts == [2, 3] && r.host == 2)
        #expect(throws: RoomError.notMember) { try r.reconnected(1) }
    }

    @Test func codesAreUnambiguousAndTypedCodesNormalize() {
        let code = RoomCode.make(from: [0, 1, 2, 250, 255, 77], rules: rules)
        #expect(code.count == 6 && code.allSatisfy { LobbyRules.codeAlphabet.contains($0) })
        #expect(!code.contains("0") && !code.contains("O") && !code.contains("1") && !code.contains("I"))
        #expect(RoomCode.normalize("ab-cd ef", rules: rules) == "ABCDEF")
        #expect(RoomCode.normalize("ABCDE0", rules: rules) == nil)
        #expect(RoomCode.normalize("ABC", rules: rules) == nil)
        #expect(RoomCode.make(from: [], rules: rules).count == 6, "no random bytes: still a code, no crash")
    }
}
