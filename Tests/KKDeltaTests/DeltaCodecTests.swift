import KKWire
import XCTest
@testable import KKDelta
import KKPhysics

final class DeltaCodecTests: XCTestCase {
    /// States of a recorded bot race on canyon, one per tick.
    static let raceStates: [MatchState] = {
        let track = try! TrackCatalog.track(named: "canyon")
        var sim = MatchSimulation(track: track, playerCount: 8, seed: 21)
        var bots = (0..<8).map { BotDriver(slot: $0, seed: 5, wobble: 2000) }
        var states: [MatchState] = [sim.state]
        var inputs = [KartInput](repeating: .neutral, count: 8)
        for _ in 0..<2400 {
            for i in 0..<8 { inputs[i] = bots[i].input(state: sim.state, track: track) }
            sim.step(inputs: inputs)
            states.append(sim.state)
        }
        return states
    }()

    static func randomState(_ rng: inout SplitMix64, players: Int, tick: UInt32) -> MatchState {
        func r32() -> Int32 { Int32(truncatingIfNeeded: rng.next()) }
        var race = RaceState(playerCount: players, totalLaps: UInt8(truncatingIfNeeded: rng.next()),
                             countdownTicks: UInt32(truncatingIfNeeded: rng.next()), rng: rng.next())
        race.phase = RacePhase(rawValue: UInt8(rng.below(3)))!
        race.graceTicks = UInt16(truncatingIfNeeded: rng.next())
        let finished = Int(rng.below(UInt64(players + 1)))
        race.finishedCount = UInt8(finished)
        for i in 0..<finished { race.finishOrder[i] = UInt8(rng.below(UInt64(players))) }
        var karts: [KartState] = []
        for _ in 0..<players {
            var k = KartState(x: r32(), y: r32(), heading: UInt16(truncatingIfNeeded: rng.next()))
            k.vx = r32(); k.vy = r32()
            k.lap = UInt8(truncatingIfNeeded: rng.next()); k.nextCheckpoint = UInt8(truncatingIfNeeded: rng.next())
            k.status = KartStatus(rawValue: UInt8(rng.below(4)))!
            k.driftDir = Int8(Int(rng.below(3)) - 1)
            k.driftCharge = UInt16(truncatingIfNeeded: rng.next()); k.boostTicks = UInt16(truncatingIfNeeded: rng.next())
            k.boostStock = UInt8(truncatingIfNeeded: rng.next())
            k.lastInput = KartInput(buttons: UInt8(truncatingIfNeeded: rng.next()), steer: Int8(Int(rng.below(255)) - 127))
            k.idleTicks = UInt16(truncatingIfNeeded: rng.next()); k.finishTick = UInt32(truncatingIfNeeded: rng.next())
            karts.append(k)
        }
        return MatchState(tick: tick, race: race, karts: karts)
    }

    func roundTrip(_ s: MatchState, _ b: MatchState?, file: StaticString = #filePath, line: UInt = #line) {
        var bytes: [UInt8] = []
        DeltaCodec.encode(s, baseline: b, into: &bytes)
        do {
            let d = try DeltaCodec.decode(bytes, baseline: b)
            XCTAssertEqual(d, s, file: file, line: line)
        } catch {
            XCTFail("decode failed: \(error)", file: file, line: line)
        }
    }

    func testRoundTripRaceStatesAtManyBaselineAges() {
        let states = Self.raceStates
        var rng = SplitMix64(seed: 1)
        for _ in 0..<1500 {
            let t = Int(rng.below(UInt64(states.count)))
            let dt = Int(rng.below(UInt64(min(t, 255) + 1)))
            roundTrip(states[t], states[t - dt])
        }
        roundTrip(states[100], nil)
    }

    func testRoundTripRandomStatesAndBaselines() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<1500 {
            let players = Int(rng.below(16)) + 1
            let tick = UInt32(truncatingIfNeeded: rng.next())
            let b = Self.randomState(&rng, players: players, tick: tick &- UInt32(rng.below(300)))
            let s = Self.randomState(&rng, players: players, tick: tick)
            roundTrip(s, b)
            // A baseline with another player count falls back to a full frame.
            let other = Self.randomState(&rng, players: players % 16 + 1, tick: tick &- 1)
            roundTrip(s, other)
        }
    }

    func testCorruptedPayloadIsAnError() {
        let states = Self.raceStates
        var rng = SplitMix64(seed: 3)
        var errors = 0
        for trial in 0..<3000 {
            let t = 300 + Int(rng.below(2000))
            let b: MatchState? = trial % 5 == 0 ? nil : states[t - 6]
            var bytes: [UInt8] = []
            DeltaCodec.encode(states[t], baseline: b, into: &bytes)
            var bad = bytes
            let flips = Int(rng.below(3)) + 1
            for _ in 0..<flips { bad[Int(rng.below(UInt64(bad.count)))] ^= UInt8(1 << rng.below(8)) }
            if bad == bytes { continue }
            XCTAssertThrowsError(try DeltaCodec.decode(bad, baseline: b))
            // Even with a recomputed CRC (a buggy or hostile sender) the result is an
            // error or the exact state, never a wrong one.
            let body = bad.count - 4
            let crc = CRC32C.checksum(bad, 0..<body)
            for i in 0..<4 { bad[body + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
            if let decoded = try? DeltaCodec.decode(bad, baseline: b) {
                XCTAssertEqual(decoded, states[t])
            } else { errors += 1 }
        }
        XCTAssertGreaterThan(errors, 2000)
        // Truncation at every length.
        var bytes: [UInt8] = []
        DeltaCodec.encode(states[900], baseline: states[894], into: &bytes)
        for n in 0..<bytes.count { XCTAssertThrowsError(try DeltaCodec.decode(Array(bytes[0..<n]), baseline: states[894])) }
    }

    func testWrongBaselineIsAnError() {
        let states = Self.raceStates
        var bytes: [UInt8] = []
        DeltaCodec.encode(states[900], baseline: states[890], into: &bytes)
        XCTAssertThrowsError(try DeltaCodec.decode(bytes, baseline: nil)) { XCTAssertEqual($0 as? DeltaError, .baselineMissing) }
        XCTAssertThrowsError(try DeltaCodec.decode(bytes, baseline: states[891])) {
            XCTAssertEqual($0 as? DeltaError, .baselineMismatch(expectedTick: 890, actualTick: 891))
        }
        var forged = states[890]
        forged.karts[3].x &+= 1   // same tick, different contents
        XCTAssertThrowsError(try DeltaCodec.decode(bytes, baseline: forged)) { XCTAssertEqual($0 as? DeltaError, .stateHashMismatch) }
        XCTAssertEqual(try DeltaCodec.header(bytes), DeltaCodec.Header(tick: 900, baselineTick: 890))
    }

    /// Frame sizes for 8 karts mid-race; printed for docs/GAMEPLAY.md.
    func testFrameSizes() {
        let states = Self.raceStates
        var full = 0
        for dt in [3, 6, 9, 12] {
            var total = 0, count = 0, maxBytes = 0
            for t in stride(from: 400, to: states.count, by: 3) {
                var bytes: [UInt8] = []
                DeltaCodec.encode(states[t], baseline: states[t - dt], into: &bytes)
                total += bytes.count; count += 1; maxBytes = max(maxBytes, bytes.count)
                if full == 0 {
                    var f: [UInt8] = []
                    DeltaCodec.encode(states[t], baseline: nil, into: &f)
                    full = f.count
                }
            }
            let mean = Double(total) / Double(count)
            print("delta 8 karts, baseline \(dt) ticks old: mean \(mean) B, max \(maxBytes) B, full \(full) B; at 20 Hz: \(mean * 8 * 20 / 1000) kbps")
            XCTAssertLessThan(mean, Double(full) / 2)
        }
        XCTAssertEqual(full, 311 + 14)
    }
}
