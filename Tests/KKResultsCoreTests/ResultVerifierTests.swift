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

    /// The verification times laps: on a 3-lap race each finisher's best lap is one of its three
    /// laps (line crossing to line crossing), no faster than a third of its race time allows and
    /// no slower than its whole race.
    @Test func theReplayTimesEachKartsBestLap() throws {
        let track = try TrackCatalog.track(named: "sprint")
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 7, rules: RaceRules(laps: 3))
        var log = InputLog(track: "sprint", players: 2, seed: 7, laps: 3)
        var previous: [KartInput] = []
        var bots = (0..<2).map { BotDriver(slot: $0, seed: UInt64($0 + 1)) }
        var inputs = [KartInput](repeating: .neutral, count: 2)
        var crossings: [[UInt32]] = [[], []]
        var lastLap: [UInt8] = [0, 0]
        while sim.state.race.phase != .finished && sim.state.tick < 40_000 {
            for s in 0..<2 { inputs[s] = bots[s].input(state: sim.state, track: track) }
            log.record(tick: sim.state.tick, inputs: inputs, previous: &previous)
            let wasFinished = sim.state.karts.map { $0.status == .finished }
            sim.step(inputs: inputs)
            for s in 0..<2 {
                let k = sim.state.karts[s]
                if k.lap != lastLap[s] || (k.status == .finished && !wasFinished[s]) { crossings[s].append(sim.state.tick) }
                lastLap[s] = k.lap
            }
        }
        let r = RaceResult(matchId: 3, epoch: 1, shardId: "s", track: "sprint", laps: 3, ticks: sim.state.tick,
                           entries: RaceResult.entries(of: sim.state, players: [1, 2]), log: log.text())
        let check = ResultVerifier().check(r)
        #expect(check.failure == nil)
        for s in 0..<2 where sim.state.karts[s].status == .finished {
            let laps = zip(crossings[s].dropFirst(), crossings[s]).map { $0 - $1 }
            #expect(laps.count == 3, "three laps: \(crossings[s])")
            #expect(check.bestLaps[s] == laps.min(), "\(check.bestLaps) vs \(laps)")
        }
        var forged = r
        forged.entries[0].finishTick += 1
        #expect(ResultVerifier().check(forged).bestLaps.isEmpty, "no laps from an unverified result")
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
