import KKClient
import KKPhysics
import XCTest

/// A ghost replays the recorded race exactly: the same final state as the log's own replay,
/// the followed kart's pose each tick, nothing after the last tick; a slot the log does not
/// have is refused.
final class GhostPlayerTests: XCTestCase {
    func testReplaysTheRecordedRaceFollowingOneKart() throws {
        let (log, final) = try InputLog.botRace(track: "sprint", players: 3, seed: 4, botSeed: 9, laps: 1, maxTicks: 6000)
        var ghost = try GhostPlayer(log: log.text(), slot: 1)
        var poses: [GhostPlayer.Pose] = []
        while let p = ghost.step() { poses.append(p) }
        XCTAssertEqual(poses.count, Int(log.ticks))
        XCTAssertNil(ghost.step(), "played out")
        XCTAssertEqual(ghost.state, final, "the recorded race exactly")
        let k = final.karts[1]
        XCTAssertEqual(poses.last?.x, Double(k.x) / 65_536)
        XCTAssertEqual(poses.last?.finished, k.status == .finished)
        XCTAssertThrowsError(try GhostPlayer(log: log.text(), slot: 3))
        XCTAssertThrowsError(try GhostPlayer(log: "not a log", slot: 0))
    }
}
