import XCTest
@testable import KKPhysics

final class PhysicsBehaviourTests: XCTestCase {
    func testTrigTable() {
        XCTAssertEqual(Trig.sin(0), 0)
        XCTAssertEqual(Trig.sin(16_384), 65_536)
        XCTAssertEqual(Trig.cos(0), 65_536)
        XCTAssertEqual(Trig.cos(32_768), -65_536)
        XCTAssertEqual(Trig.sin(8_192), 46_341)        // round(65536 * sqrt(2)/2)
        XCTAssertEqual(Trig.sin(5_461), 32_766)  // 5461 units is just under 30°: 65536 * 0.4999723
        XCTAssertEqual(Trig.sin(49_152), -65_536)
        XCTAssertLessThanOrEqual(abs(Int(Trig.atan2(y: 100, x: 100)) - 8_192), 1)
        XCTAssertLessThanOrEqual(abs(Int(Trig.atan2(y: -5, x: -5)) - 40_960), 1)
        XCTAssertLessThanOrEqual(abs(Int(Trig.atan2(y: 1 << 50, x: 0)) - 16_384), 1)
        XCTAssertEqual(Trig.atan2(y: 0, x: 10), 0)
    }

    func testIsqrt() {
        for v: Int64 in [0, 1, 2, 3, 4, 15, 16, 17, 1 << 40, (1 << 62) + 12345, Int64.max] {
            let r = Fx.isqrt(v)
            XCTAssertLessThanOrEqual(r.multipliedReportingOverflow(by: r).partialValue, v)
            let r1 = r + 1
            let (sq, ov) = r1.multipliedReportingOverflow(by: r1)
            XCTAssertTrue(ov || sq > v)
        }
        XCTAssertEqual(Fx.isqrt(-5), 0)
    }

    /// Documented: from rest, full throttle on a straight reaches exactly 30 m/s after 128 ticks.
    func testKartReachesTopSpeedInDocumentedTime() throws {
        let track = try TrackCatalog.track(named: "oval")
        var sim = MatchSimulation(track: track, playerCount: 1, seed: 1)
        TestSupport.makeRacing(&sim)
        XCTAssertEqual(sim.state.karts[0].heading, 0)
        let go = [KartInput(buttons: KartInput.accelerate, steer: 0)]
        for _ in 0..<127 { sim.step(inputs: go) }
        XCTAssertLessThan(Int64(sim.state.karts[0].vx), KartTuning.maxSpeed)
        sim.step(inputs: go)
        XCTAssertEqual(Int64(sim.state.karts[0].vx), KartTuning.maxSpeed)
        XCTAssertEqual(sim.state.karts[0].vy, 0)
        for _ in 0..<30 { sim.step(inputs: go) }
        XCTAssertEqual(Int64(sim.state.karts[0].vx), KartTuning.maxSpeed, "speed is capped")
    }

    func testCountdownFreezesKarts() throws {
        let track = try TrackCatalog.track(named: "oval")
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 1)
        let start = sim.state.karts
        let go = [KartInput](repeating: KartInput(buttons: KartInput.accelerate, steer: 10), count: 2)
        for _ in 0..<179 { sim.step(inputs: go) }
        XCTAssertEqual(sim.state.race.phase, .countdown)
        sim.step(inputs: go)
        XCTAssertEqual(sim.state.race.phase, .racing)
        XCTAssertEqual(sim.state.karts.map { $0.x }, start.map { $0.x })
        sim.step(inputs: go)
        XCTAssertNotEqual(sim.state.karts[0].x, start[0].x)
    }

    func testWallsStopKarts() throws {
        let track = try TrackCatalog.track(named: "oval")   // bottom straight along y = 0, 16 m wide
        var sim = MatchSimulation(track: track, playerCount: 1, seed: 1)
        TestSupport.makeRacing(&sim)
        sim.state.karts[0] = KartState(x: Fx.metres(150), y: 0, heading: 16_384)  // facing +y, the wall
        sim.state.karts[0].vy = Int32(KartTuning.maxSpeed)
        let go = [KartInput(buttons: KartInput.accelerate, steer: 0)]
        let limit = Int64(track.halfWidth) - KartTuning.radius   // 7 m
        for _ in 0..<120 {
            sim.step(inputs: go)
            XCTAssertLessThanOrEqual(Int64(sim.state.karts[0].y), limit + 256)
        }
        let k = sim.state.karts[0]
        XCTAssertGreaterThan(Int64(k.y), limit - 65_536, "kart is at the wall")
        XCTAssertLessThanOrEqual(abs(Int64(k.vy)), 512, "velocity into the wall is removed")
        XCTAssertLessThan(abs(Int64(k.vx)), 4096)
    }

    func testKartsCollide() throws {
        let track = try TrackCatalog.track(named: "oval")
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 1)
        TestSupport.makeRacing(&sim)
        sim.state.karts[0] = KartState(x: Fx.metres(140), y: 0, heading: 0)
        sim.state.karts[1] = KartState(x: Fx.metres(150), y: 0, heading: 32_768)
        sim.state.karts[0].vx = 20_000
        sim.state.karts[1].vx = -20_000
        let go = [KartInput](repeating: KartInput(buttons: KartInput.accelerate, steer: 0), count: 2)
        var minGap = Int64.max
        for _ in 0..<40 {
            sim.step(inputs: go)
            minGap = min(minGap, Int64(sim.state.karts[1].x) - Int64(sim.state.karts[0].x))
        }
        // Soft contact: a head-on hit at 0.6 m/tick closing overlaps, but less than one radius.
        XCTAssertGreaterThanOrEqual(minGap, KartTuning.radius)
        XCTAssertLessThan(minGap, 2 * KartTuning.radius)
        XCTAssertLessThan(sim.state.karts[0].x, sim.state.karts[1].x, "karts never pass through each other")
    }

    func testLapsCountAndFinishOrder() throws {
        let track = try TrackCatalog.track(named: "oval")
        var rules = RaceRules(laps: 2)
        rules.countdownTicks = 1
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 3, rules: rules)
        var bots = [BotDriver(slot: 0, seed: 1, wobble: 0), BotDriver(slot: 1, seed: 1, wobble: 0)]
        var inputs = [KartInput](repeating: .neutral, count: 2)
        var lapTicks: [[UInt32]] = [[], []]
        while sim.state.race.phase != .finished && sim.state.tick < 20_000 {
            for i in 0..<2 { inputs[i] = bots[i].input(state: sim.state, track: track) }
            // Kart 1 only throttles two ticks in three: it must finish second.
            if sim.state.tick % 3 == 0 { inputs[1].buttons &= ~KartInput.accelerate }
            let before = sim.state.karts.map { $0.lap }
            sim.step(inputs: inputs)
            for i in 0..<2 where sim.state.karts[i].lap != before[i] { lapTicks[i].append(sim.state.tick) }
        }
        XCTAssertEqual(sim.state.race.phase, .finished)
        XCTAssertEqual(lapTicks[0].count, 2, "lap 1 starts at the line, lap 2 after one tour")
        XCTAssertEqual(sim.state.karts.map { $0.status }, [.finished, .finished])
        XCTAssertEqual(sim.state.race.finishedCount, 2)
        XCTAssertEqual(Array(sim.state.race.finishOrder), [0, 1])
        XCTAssertLessThan(sim.state.karts[0].finishTick, sim.state.karts[1].finishTick)
    }

    /// A lone bot finishes one lap of every built-in track; the sprint oval (raced by the system
    /// tests) takes under half the oval's ticks.
    func testBotLapsEveryBuiltInTrack() throws {
        var lapTicks: [String: UInt32] = [:]
        for name in TrackCatalog.names {
            let track = try TrackCatalog.track(named: name)
            var rules = RaceRules(laps: 1)
            rules.countdownTicks = 1
            var sim = MatchSimulation(track: track, playerCount: 1, seed: 3, rules: rules)
            var bot = BotDriver(slot: 0, seed: 1)
            while sim.state.race.phase != .finished && sim.state.tick < 20_000 {
                sim.step(inputs: [bot.input(state: sim.state, track: track)])
            }
            XCTAssertEqual(sim.state.karts[0].status, .finished, "\(name): the bot did not finish")
            lapTicks[name] = sim.state.karts[0].finishTick
        }
        print("FIGURE bot-lap-ticks \(lapTicks.sorted { $0.key < $1.key })")
        XCTAssertLessThan(try XCTUnwrap(lapTicks["sprint"]) * 2, try XCTUnwrap(lapTicks["oval"]))
    }

    func testIdleKartRetires() throws {
        let track = try TrackCatalog.track(named: "oval")
        var rules = RaceRules(laps: 3)
        rules.countdownTicks = 1
        rules.idleTimeoutTicks = 300
        var sim = MatchSimulation(track: track, playerCount: 2, seed: 3, rules: rules)
        var bot = BotDriver(slot: 0, seed: 1)
        for _ in 0..<301 {
            sim.step(inputs: [bot.input(state: sim.state, track: track), .neutral])
        }
        XCTAssertEqual(sim.state.karts[1].status, .retiredIdle)
        XCTAssertEqual(sim.state.karts[0].status, .racing)
    }

    func testMissingInputRepeatsLastInput() throws {
        let track = try TrackCatalog.track(named: "oval")
        var a = MatchSimulation(track: track, playerCount: 2, seed: 9)
        var b = a
        let go = KartInput(buttons: KartInput.accelerate, steer: 20)
        a.step(inputs: [go, go])
        b.step(inputs: [go, go])
        for _ in 0..<400 {
            a.step(inputs: [go, go])
            b.step(inputs: [go])  // slot 1 missing: repeats its last input
        }
        XCTAssertEqual(a.state.karts[1].x, b.state.karts[1].x)
        XCTAssertEqual(a.state.hash, b.state.hash)

        var buffer = ServerInputBuffer(players: 2, startTick: 0, maxRepeatTicks: 2)
        var out: [KartInput] = []
        buffer.insert(player: 0, tick: 0, input: go)
        XCTAssertEqual(buffer.insert(player: 0, tick: 0, input: go), .duplicate)
        var st = a.state
        st.karts[1].lastInput = go
        XCTAssertEqual(buffer.take(for: st, into: &out), 1)
        XCTAssertEqual(out, [go, go])
        buffer.take(for: st, into: &out)
        XCTAssertEqual(out, [go, go], "two misses in a row: still repeating")
        buffer.take(for: st, into: &out)
        XCTAssertEqual(out[1], .neutral, "after maxRepeatTicks misses the input becomes neutral")
        XCTAssertEqual(buffer.insert(player: 1, tick: 1, input: go), .late)
    }
}
