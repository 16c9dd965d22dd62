import Foundation
import XCTest
@testable import KKPhysics

final class CanonicalFormTests: XCTestCase {
    func raceState(_ seed: UInt64, ticks: Int) throws -> MatchState {
        let track = try TrackCatalog.track(named: "canyon")
        var sim = MatchSimulation(track: track, playerCount: 8, seed: seed)
        var bots = (0..<8).map { BotDriver(slot: $0, seed: seed) }
        for _ in 0..<ticks { sim.step(inputs: (0..<8).map { bots[$0].input(state: sim.state, track: track) }) }
        return sim.state
    }

    func testRoundTripAndSize() throws {
        let state = try raceState(5, ticks: 600)
        var bytes: [UInt8] = []
        state.serialize(into: &bytes)
        XCTAssertEqual(bytes.count, state.canonicalSize)
        XCTAssertEqual(bytes.count, 311)
        XCTAssertEqual(try MatchState(deserializing: bytes), state)
        XCTAssertEqual(FNV1a64.hash(bytes), state.hash)
    }

    /// In-place parsing (the relay's frame path) gives the same state as a fresh parse, whatever
    /// the buffer held before (other player count, other race), and a good parse after a failed
    /// one is whole again.
    func testDeserializeInPlaceEqualsFreshParse() throws {
        let a = try raceState(7, ticks: 900)
        var small = MatchSimulation(track: try TrackCatalog.track(named: "oval"), playerCount: 3, seed: 2)
        for _ in 0..<100 { small.step(inputs: [KartInput](repeating: KartInput(buttons: 1, steer: 9), count: 3)) }
        var bytesA: [UInt8] = [], bytesB: [UInt8] = []
        a.serialize(into: &bytesA)
        small.state.serialize(into: &bytesB)
        var buffer = small.state
        try buffer.deserialize(from: bytesA)
        XCTAssertEqual(buffer, a)
        try buffer.deserialize(from: bytesB)
        XCTAssertEqual(buffer, small.state)
        XCTAssertThrowsError(try buffer.deserialize(from: Array(bytesA.dropLast(7))))
        try buffer.deserialize(from: bytesA)
        XCTAssertEqual(buffer, a)
        XCTAssertEqual(buffer.hash, a.hash)
    }

    func testTruncatedAndGarbageNeverTrap() throws {
        let state = try raceState(6, ticks: 400)
        var bytes: [UInt8] = []
        state.serialize(into: &bytes)
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try MatchState(deserializing: Array(bytes[0..<n])))
        }
        XCTAssertThrowsError(try MatchState(deserializing: bytes + [0]))
        var rng = SplitMix64(seed: 99)
        var accepted = 0
        for _ in 0..<3000 {
            var b = bytes
            let flips = Int(rng.below(4)) + 1
            for _ in 0..<flips { b[Int(rng.below(UInt64(b.count)))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            if let s = try? MatchState(deserializing: b) {
                accepted += 1
                // Any accepted state must be steppable without trapping.
                var sim = MatchSimulation(track: try TrackCatalog.track(named: "canyon"), state: s)
                for _ in 0..<3 { sim.step(inputs: [KartInput(buttons: 0xFF, steer: -128)]) }
            }
        }
        XCTAssertGreaterThan(accepted, 0)
    }

    func testTracksMatchConfigFiles() throws {
        for name in TrackCatalog.names {
            let url = TestSupport.packageRoot.appendingPathComponent("Config/tracks/\(name).track")
            let text = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(text, try TrackCatalog.source(named: name), "Config/tracks/\(name).track differs")
            let track = try TrackParser.parse(text)
            XCTAssertEqual(track.name, name)
        }
        XCTAssertEqual(TrackParser.fixed("8.0385"), 526_811)  // 8 * 65536 + round(0.0385 * 65536)
        XCTAssertEqual(TrackParser.fixed("-1.5"), -98_304)
        XCTAssertNil(TrackParser.fixed("1.2.3"))
        XCTAssertThrowsError(try TrackParser.parse("track x\nwidth 10\npoint 0 0\n"))
    }

    func testDesyncDetector() {
        var d = DesyncDetector(capacity: 8)
        d.recordLocal(tick: 10, hash: 1)
        d.recordLocal(tick: 11, hash: 2)
        XCTAssertEqual(d.checkRemote(tick: 10, hash: 1), .match)
        XCTAssertEqual(d.checkRemote(tick: 11, hash: 3), .mismatch(tick: 11, local: 2, remote: 3))
        XCTAssertEqual(d.checkRemote(tick: 12, hash: 3), .unknown)
        XCTAssertEqual(d.firstDesyncTick, 11)
    }
}
