import Foundation
import XCTest
@testable import KKPhysics

enum TestSupport {
    /// Package root, from this file's path.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var goldenLogURL: URL {
        packageRoot.appendingPathComponent("Tests/KKPhysicsTests/Fixtures/golden-oval-8kart-60s.kklog")
    }

    /// Records a bot race as an input log (the generator of the committed golden log).
    static func recordBotRace(track name: String, players: Int, seed: UInt64, laps: UInt8?, ticks: UInt32, botSeed: UInt64) throws -> InputLog {
        let track = try TrackCatalog.track(named: name)
        var rules = RaceRules(laps: track.laps)
        if let laps { rules.laps = laps }
        var sim = MatchSimulation(track: track, playerCount: players, seed: seed, rules: rules)
        var bots = (0..<players).map { BotDriver(slot: $0, seed: botSeed) }
        var log = InputLog(track: name, players: players, seed: seed, laps: laps)
        var inputs = [KartInput](repeating: .neutral, count: players)
        var previous: [KartInput] = []
        for t in 0..<ticks {
            for i in 0..<players { inputs[i] = bots[i].input(state: sim.state, track: track) }
            log.record(tick: t, inputs: inputs, previous: &previous)
            sim.step(inputs: inputs)
        }
        return log
    }

    static func makeRacing(_ sim: inout MatchSimulation) {
        sim.state.race.phase = .racing
        sim.state.race.phaseTicks = 0
    }
}
