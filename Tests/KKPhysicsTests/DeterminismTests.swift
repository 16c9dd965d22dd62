import Foundation
import XCTest
@testable import KKPhysics

final class DeterminismTests: XCTestCase {
    /// Golden values for Fixtures/golden-oval-8kart-60s.kklog (3600 ticks = 60 s, 8 karts,
    /// oval, 2 laps). If a deliberate physics change moves them, regenerate with
    /// KK_WRITE_GOLDEN=1 and update these constants in the same commit.
    static let goldenFinalHash: UInt64 = 811_976_053_964_594_915
    static let goldenHashEvery600: [UInt64] = [
        15_898_198_456_292_369_436, 2_943_678_581_042_253_858, 201_811_887_802_861_831,
        4_093_607_268_764_222_355, 12_677_280_617_617_646_632, 811_976_053_964_594_915,
    ]

    func loadGoldenLog() throws -> InputLog {
        let url = TestSupport.goldenLogURL
        if ProcessInfo.processInfo.environment["KK_WRITE_GOLDEN"] == "1" {
            let log = try TestSupport.recordBotRace(track: "oval", players: 8, seed: 42, laps: 2, ticks: 3600, botSeed: 7)
            try log.text().write(to: url, atomically: true, encoding: .utf8)
        }
        return try InputLog(parsing: try String(contentsOf: url, encoding: .utf8))
    }

    func testGoldenRaceHash() throws {
        let log = try loadGoldenLog()
        XCTAssertEqual(log.ticks, 3600)
        XCTAssertEqual(log.players, 8)
        var checkpoints: [UInt64] = []
        let final = try log.replay { s in if s.tick % 600 == 0 { checkpoints.append(s.hash) } }
        print("golden final hash", final.hash, "every 600:", checkpoints, "finished:", final.race.finishedCount)
        XCTAssertEqual(final.hash, Self.goldenFinalHash)
        XCTAssertEqual(checkpoints, Self.goldenHashEvery600)
        XCTAssertGreaterThan(final.race.finishedCount, 0, "the golden race includes finishes")
        XCTAssertEqual(InputLog(track: log.track, players: log.players, seed: log.seed, laps: log.laps, ticks: log.ticks, changes: log.changes), try InputLog(parsing: log.text()))
    }

    func testReplayTwiceGivesIdenticalPerTickHashes() throws {
        let log = try loadGoldenLog()
        var a: [UInt64] = [], b: [UInt64] = []
        _ = try log.replay { a.append($0.hash) }
        _ = try log.replay { b.append($0.hash) }
        XCTAssertEqual(a.count, 3600)
        XCTAssertEqual(a, b)
        XCTAssertEqual(Set(a).count, a.count, "every tick has a distinct state")
    }

    /// GGPO-style SyncTest: every tick, roll back 8 ticks, re-simulate them with the same
    /// inputs and compare every re-simulated hash with the original. 100 000 ticks.
    func testSyncTestRollback8For100kTicks() throws {
        let track = try TrackCatalog.track(named: "canyon")
        var rules = RaceRules(laps: 250)
        rules.maxRaceTicks = .max
        rules.countdownTicks = 60
        let depth = 8
        var sim = MatchSimulation(track: track, playerCount: 8, seed: 11, rules: rules)
        var bots = (0..<8).map { BotDriver(slot: $0, seed: 3, wobble: 3000) }
        // Ring of the last `depth + 1` states, inputs and hashes.
        var states = [MatchState](repeating: sim.state, count: depth + 1)
        var inputs = [[KartInput]](repeating: [KartInput](repeating: .neutral, count: 8), count: depth + 1)
        var hashes = [UInt64](repeating: 0, count: depth + 1)
        var frame = [KartInput](repeating: .neutral, count: 8)
        var resim = sim
        var mismatches = 0
        let total = 100_000
        for t in 0..<total {
            let slot = t % (depth + 1)
            states[slot] = sim.state
            for i in 0..<8 { frame[i] = bots[i].input(state: sim.state, track: track) }
            inputs[slot] = frame
            sim.step(inputs: frame)
            hashes[slot] = sim.state.hash
            if t >= depth {
                let from = (t - depth + 1) % (depth + 1)   // state before tick t-depth+1... re-sim `depth` ticks
                resim.restore(states[from])
                for back in 0..<depth {
                    let s = (t - depth + 1 + back) % (depth + 1)
                    resim.step(inputs: inputs[s])
                    if resim.state.hash != hashes[s] { mismatches += 1 }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(sim.state.tick, UInt32(total))
        XCTAssertEqual(sim.state.race.phase, .racing)
        print("synctest: \(total) ticks, \(total * depth) re-simulated ticks, laps of kart 0:", sim.state.karts[0].lap)
    }
}
