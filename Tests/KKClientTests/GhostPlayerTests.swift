import KKClient
import KKPhysics
import XCTest

/// A ghost replays the recorded race exactly: the same final state as the log's own replay,
/// the followed kart's pose each tick, nothing after the last tick; a slot the log does not
/// have is refused.
final class GhostPlayerTests: XCTestCase {
    func testReplaysTheRecordedRaceFollowingOneKart() throws {
        let track = try TrackCatalog.track(named: "sprint")
        var sim = MatchSimulation(track: track, playerCount: 3, seed: 4, rules: RaceRules(laps: 1))
        var log = InputLog(track: "sprint", players: 3, seed: 4, laps: 1)
        var previous: [KartInput] = []
        var bots = (0..<3).map { BotDriver(slot: $0, seed: UInt64($0 + 9)) }
        var inputs = [KartInput](repeating: .neutral, count: 3)
        while sim.state.race.phase != .finished && sim.state.tick < 6000 {
            for s in 0..<3 { inputs[s] = bots[s].input(state: sim.state, track: track) }
            log.record(tick: sim.state.tick, inputs: inputs, previous: &previous)
            sim.step(inputs: inputs)
        }
        var ghost = try GhostPlayer(log: log.text(), slot: 1)
        var poses: [GhostPlayer.Pose] = []
        while let p = ghost.step() { poses.append(p) }
        XCTAssertEqual(poses.count, Int(log.ticks))
        XCTAssertNil(ghost.step(), "played out")
        XCTAssertEqual(ghost.state, sim.state, "the recorded race exactly")
        let k = sim.state.karts[1]
        XCTAssertEqual(poses.last?.x, Double(k.x) / 65_536)
        XCTAssertEqual(poses.last?.finished, k.status == .finished)
        XCTAssertThrowsError(try GhostPlayer(log: log.text(), slot: 3))
        XCTAssertThrowsError(try GhostPlayer(log: "not a log", slot: 0))
    }
}
