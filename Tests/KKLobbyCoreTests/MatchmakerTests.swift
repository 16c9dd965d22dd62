import KKLobbyCore
import Testing

/// Quick-play tickets: full matches of compatible tickets, parties whole, the rating window that
/// widens with waiting, regions apart, cancel, and the smaller match after the fill wait.
@Suite struct MatchmakerTests {
    func ticket(_ id: String, _ players: [Int64], _ rating: Double, region: String = "eu", at t: Int64 = 0) -> Matchmaker.Ticket {
        Matchmaker.Ticket(id: id, players: players, region: region, rating: rating, enqueuedAtMillis: t)
    }

    @Test func eightCompatiblePlayersFormAMatchAndPartiesStayWhole() throws {
        var mm = Matchmaker(rules: MatchmakingRules())
        try mm.enqueue(ticket("party", [1, 2, 3], 1500))
        for p in Int64(4)...7 { try mm.enqueue(ticket("s\(p)", [p], 1500 + Double(p))) }
        #expect(mm.formMatches(nowMillis: 0).isEmpty, "seven players: not full yet")
        try mm.enqueue(ticket("duo", [20, 21], 1510))  // would make nine: skipped
        try mm.enqueue(ticket("s9", [9], 1490))
        let formed = mm.formMatches(nowMillis: 0)
        #expect(formed.count == 1)
        #expect(formed[0].flatMap(\.players).sorted() == [1, 2, 3, 4, 5, 6, 7, 9])
        #expect(mm.queue.map(\.id) == ["duo"])
        #expect(throws: Matchmaker.QueueError.alreadyQueued(21)) { try mm.enqueue(ticket("again", [21], 1500)) }
        #expect(throws: Matchmaker.QueueError.tooManyPlayers) { try mm.enqueue(ticket("huge", Array(30...38), 1500)) }
    }

    @Test func theRatingWindowWidensWithWaitingAndRegionsStayApart() throws {
        var mm = Matchmaker(rules: MatchmakingRules())
        try mm.enqueue(ticket("low", [1], 1000))
        for p in Int64(2)...8 { try mm.enqueue(ticket("hi\(p)", [p], 1300)) }
        try mm.enqueue(ticket("us", [50], 1000, region: "us"))
        // 300 apart: the anchor's window is 100 at once, 300 after 10 s.
        #expect(mm.formMatches(nowMillis: 0).isEmpty)
        #expect(mm.formMatches(nowMillis: 9_000).isEmpty)
        let formed = mm.formMatches(nowMillis: 10_000)
        #expect(formed.count == 1 && formed[0].first?.id == "low" && !formed[0].contains { $0.region == "us" })
        #expect(MatchmakingRules().allowedGap(waitedMillis: 3_600_000) == 600)
    }

    @Test func cancelledTicketsLeaveAndSmallMatchesStartAfterTheFillWait() throws {
        var mm = Matchmaker(rules: MatchmakingRules())
        try mm.enqueue(ticket("a", [1], 1500))
        try mm.enqueue(ticket("b", [2], 1520))
        try mm.enqueue(ticket("c", [3], 1480, at: 10_000))
        #expect(mm.cancel(id: "b") && !mm.cancel(id: "b"))
        #expect(mm.formMatches(nowMillis: 29_999).isEmpty)
        let formed = mm.formMatches(nowMillis: 30_000)
        #expect(formed.map { $0.map(\.id) } == [["a", "c"]])
        #expect(mm.queue.isEmpty)
        // Alone after the wait: still waiting (two players at least).
        try mm.enqueue(ticket("d", [4], 1500, at: 30_000))
        #expect(mm.formMatches(nowMillis: 90_000).isEmpty && mm.queue.count == 1)
    }
}
