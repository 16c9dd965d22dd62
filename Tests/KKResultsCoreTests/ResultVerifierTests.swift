import KKPhysics
import KKResultsCore
import KKTestSupport
import Testing

@Suite struct ResultVerifierTests {
    @Test func aRecordedRaceReSimulatesToItsResult() throws {
        let r = try botRace(matchId: 1)
        #expect(r.entries.contains { $0.place == 1 }, "someone finished: \(r.entries)")
        #expect(ResultVerifier().verify(r) == nil)
    }

    @Test func forgedResultsAreCaught() throws {
        let r = try botRace(matchId: 2)
        var swapped = r
        let winner = swapped.entries.firstIndex { $0.place == 1 }!
        let other = (winner + 1) % swapped.entries.count
        swapped.entries[winner].place = swapped.entries[other].place
        swapped.entries[other].place = 1
        #expect(ResultVerifier().verify(swapped)?.label == "mismatch")
        var faster = r
        faster.entries[winner].finishTick -= 60
        #expect(ResultVerifier().verify(faster)?.label == "mismatch")
        var noLog = r
        noLog.log = nil
        #expect(ResultVerifier().verify(noLog) == .noLog)
        var garbage = r
        garbage.log = "kklog 1\ntrack nowhere\n"
        #expect(ResultVerifier().verify(garbage)?.label == "bad_log")
        var wrongTrack = r
        wrongTrack.track = "oval"
        #expect(ResultVerifier().verify(wrongTrack)?.label == "mismatch")
        #expect(ResultVerifier(maxTicks: 10).verify(r)?.label == "too_long")
    }
}
