import XCTest
@testable import KKPrediction
import KKPhysics

final class PredictionTests: XCTestCase {
    func testSmootherDecayRatesAndSnap() {
        var s = CorrectionSmoother()
        s.add(errorX: 32_768, errorY: 0)           // 0.5 m: small
        s.decay()
        XCTAssertEqual(s.offsetX, (32_768 * 62_259) >> 16)   // × 0.95
        var big = CorrectionSmoother()
        big.add(errorX: 0, errorY: -3 * 65_536)   // 3 m: large
        big.decay()
        XCTAssertEqual(big.offsetY, (-3 * 65_536 * 55_706) >> 16)  // × 0.85
        var frames = 0
        while !big.isSettled { big.decay(); frames += 1 }
        XCTAssertLessThan(frames, 120)
        var snap = CorrectionSmoother()
        XCTAssertTrue(snap.add(errorX: 5 * 65_536, errorY: 0))
        XCTAssertTrue(snap.isSettled)
    }

    func testPredictionBuffer() {
        var b = PredictionBuffer(capacity: 16)
        let a = KartInput(buttons: 1, steer: 5)
        b.record(tick: 100, input: a)
        XCTAssertEqual(b.input(at: 100), a)
        XCTAssertNil(b.input(at: 99))
        b.record(tick: 116, input: .neutral)
        XCTAssertNil(b.input(at: 100), "overwritten by the tick 16 later")
        var out: [(tick: UInt32, input: KartInput)] = []
        b.record(tick: 115, input: a)
        b.recent(upTo: 116, count: 3, into: &out)
        XCTAssertEqual(out.map { $0.tick }, [115, 116])
    }

    /// A server stepping with the same inputs the client predicted: every frame confirms.
    func testExactPredictionNeedsNoCorrection() throws {
        let track = try TrackCatalog.track(named: "oval")
        var server = MatchSimulation(track: track, playerCount: 4, seed: 1)
        var client = try ClientPredictor(track: track, localSlot: 2, initial: server.state, remoteGuess: .repeatLast)
        var bot = BotDriver(slot: 2, seed: 1)
        let remote = KartInput(buttons: KartInput.accelerate, steer: 0)
        var inputs = [KartInput](repeating: remote, count: 4)
        // Remote karts hold one input from the start, so "repeat last" is exact.
        server.step(inputs: inputs)
        client = try ClientPredictor(track: track, localSlot: 2, initial: server.state, remoteGuess: .repeatLast)
        var pending: [MatchState] = []
        for _ in 0..<600 {
            let input = bot.input(state: client.sim.state, track: track)
            client.predict(localInput: input)
            inputs[2] = input
            server.step(inputs: inputs)
            pending.append(server.state)
            if pending.count > 6 {   // frames arrive 6 ticks late
                let r = try client.reconcile(authoritative: pending.removeFirst())
                XCTAssertEqual(r.kind, .confirmed)
            }
        }
    }

    /// After a rollback the client's state equals the server's when the server has
    /// the same inputs (remote karts guessed by repeating their last input).
    func testRollbackResimulatesUnacknowledgedInputs() throws {
        try checkRollback(guess: .repeatLast)
    }

    /// The same with remote karts guessed to follow the track: the re-simulation uses exactly
    /// the guesses ``TrackFollower`` gives from the authoritative frame.
    func testRollbackWithFollowTrackGuessesResimulatesTheSameGuesses() throws {
        try checkRollback(guess: .followTrack(residualHalfLifeTicks: 3))
    }

    private func checkRollback(guess: ClientPredictor.RemoteInputGuess) throws {
        let track = try TrackCatalog.track(named: "canyon")
        var server = MatchSimulation(track: track, playerCount: 3, seed: 4)
        var client = try ClientPredictor(track: track, localSlot: 0, initial: server.state, remoteGuess: guess)
        var bots = (0..<3).map { BotDriver(slot: $0, seed: 2, wobble: 5000) }
        var history: [MatchState] = []
        var serverInputs = [KartInput](repeating: .neutral, count: 3)
        var rolled = 0
        var localInputs: [KartInput] = []
        for t in 0..<900 {
            for i in 0..<3 { serverInputs[i] = bots[i].input(state: server.state, track: track) }
            client.predict(localInput: serverInputs[0])
            localInputs.append(serverInputs[0])
            server.step(inputs: serverInputs)
            history.append(server.state)
            if t >= 8 && t % 3 == 0 {
                let auth = history[t - 8]   // state at tick t - 7
                let r = try client.reconcile(authoritative: auth)
                if r.kind == .rolledBack { rolled += 1; XCTAssertEqual(r.depth, 8) }
                // Reference: from the authoritative state, the local inputs of the 8
                // unacknowledged ticks, remote karts guessed from the frame.
                var ref = MatchSimulation(track: track, state: auth)
                var inputs = auth.karts.map { $0.lastInput }
                let lateral = auth.karts.map { TrackFollower.lateral($0, track: track) }
                let residual = auth.karts.indices.map {
                    Int64(auth.karts[$0].lastInput.steer) - TrackFollower.steer(auth.karts[$0], track: track, lateral: lateral[$0])
                }
                for tick in Int(auth.tick)...t {
                    inputs[0] = localInputs[tick]
                    let after = tick - Int(auth.tick)
                    if guess != .repeatLast, after > 0, ref.state.race.phase == .racing {
                        for i in 1..<3 {
                            let g = TrackFollower.steer(ref.state.karts[i], track: track, lateral: lateral[i]) + residual[i] / (Int64(1) << (after / 3))
                            inputs[i].steer = Int8(Fx.clamp(g, -127, 127))
                        }
                    }
                    ref.step(inputs: inputs)
                }
                // A confirmed frame is not re-simulated: with repeatLast its remote inputs equal
                // the ones predicted from, so the prediction equals the reference; followTrack's
                // prediction stays anchored at the older frame it was made from.
                if guess == .repeatLast || r.kind == .rolledBack { XCTAssertEqual(ref.state, client.sim.state) }
            }
        }
        XCTAssertGreaterThan(rolled, 0)
        let stale = try client.reconcile(authoritative: history[100])
        XCTAssertEqual(stale.kind, .stale)
    }

    func testInterpolationBuffer() throws {
        let track = try TrackCatalog.track(named: "oval")
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 1)
        var buf = InterpolationBuffer(playerCount: 2, delayTicks: 3)
        sim.state.race.phase = .racing
        let go = [KartInput](repeating: KartInput(buttons: KartInput.accelerate, steer: 0), count: 2)
        var states: [MatchState] = []
        for _ in 0..<12 { sim.step(inputs: go); states.append(sim.state) }
        buf.push(states[2], arrivalQ8: 0)
        buf.push(states[5], arrivalQ8: 3 * 256)
        buf.push(states[8], arrivalQ8: 6 * 256)
        let a = Int64(states[2].karts[0].x), b = Int64(states[5].karts[0].x)
        let mid = buf.sample(kart: 0, atQ8: (Int64(states[2].tick) * 256 + Int64(states[5].tick) * 256) / 2)
        XCTAssertEqual(mid?.x, a + (b - a) / 2)
        XCTAssertEqual(buf.underruns, 0)
        _ = buf.sample(kart: 0, atQ8: Int64(states[11].tick) * 256)
        XCTAssertEqual(buf.underruns, 1)
        XCTAssertEqual(buf.recommendedDelayTicks(sendInterval: 3), 3)
    }
}
