import XCTest
@testable import KKPhysics

/// A log stored piece by piece (header, then change lines appended at each snapshot, `ticks`
/// added when read back: how a shard keeps a match's log in Redis for an adopter) reads back as
/// the log, and replays to the same state as a log recorded in one go.
final class InputLogPiecesTests: XCTestCase {
    func testPiecesReadBackAsTheLogAndReplayTheSame() throws {
        let track = try TrackCatalog.track(named: "sprint")
        var sim = MatchSimulation(track: track, playerCount: 3, seed: 9, rules: RaceRules(laps: 1))
        var log = InputLog(track: "sprint", players: 3, seed: 9, laps: 1)
        var previous: [KartInput] = []
        var bots = (0..<3).map { BotDriver(slot: $0, seed: UInt64($0 + 3)) }
        var stored = ""
        var storedChanges = 0
        var inputs = [KartInput](repeating: .neutral, count: 3)
        for t in 0..<900 {
            for s in 0..<3 { inputs[s] = bots[s].input(state: sim.state, track: track) }
            log.record(tick: sim.state.tick, inputs: inputs, previous: &previous)
            sim.step(inputs: inputs)
            if t % 37 == 36 {  // a "snapshot": append what is new
                stored += (stored.isEmpty ? log.headerText() : "") + log.changesText(from: storedChanges)
                storedChanges = log.changes.count
            }
        }
        let snapTick = log.ticks
        let read = try InputLog(parsing: stored + "ticks \(sim.state.tick)\n")
        XCTAssertEqual(read.changes.count, storedChanges)
        XCTAssertLessThanOrEqual(read.changes.count, log.changes.count)
        // Read back at the last snapshot's tick, the stored log replays to that snapshot's state.
        var upTo = log
        upTo.changes = Array(log.changes.prefix(storedChanges))
        upTo.ticks = UInt32(900 / 37 * 37)
        var readAt = read
        readAt.ticks = upTo.ticks
        XCTAssertEqual(try readAt.replay(), try upTo.replay())
        XCTAssertEqual(try log.replay(), sim.state, "the whole log replays the race")
        XCTAssertEqual(read.lastInputs.count, 3)
        XCTAssertEqual(snapTick, 900)
        XCTAssertEqual(try InputLog(parsing: log.text()), log, "text() is header, ticks and changes")
    }

    /// Found by the input-log fuzz target: a `players` line after change lines (or twice) was
    /// taken, leaving changes for slots the log no longer has. Each header field is read once,
    /// before the changes; `ticks` (appended when a stored log is read back) may follow them.
    func testHeaderFieldsOnceAndBeforeTheChanges() throws {
        let head = "kklog 1\ntrack oval\nplayers 4\nseed 3\n"
        XCTAssertNoThrow(try InputLog(parsing: head + "0 2 01 0\nticks 40\n"))
        XCTAssertThrowsError(try InputLog(parsing: head + "0 2 01 0\nplayers 1\nticks 40\n"))
        XCTAssertThrowsError(try InputLog(parsing: head + "players 1\nticks 40\n"))
        XCTAssertThrowsError(try InputLog(parsing: head + "ticks 40\nticks 41\n"))
    }
}
