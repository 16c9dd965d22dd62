import XCTest
@testable import KKPhysics

/// The byte-level log parser: every shape the text form allows reads back, every broken line
/// is refused with its line number, and text() / parsing round-trip any log.
final class InputLogParserTests: XCTestCase {
    func testRoundTripsRandomLogs() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var log = InputLog(track: "oval", players: 8, seed: rng.next(), laps: UInt8.random(in: 1...9, using: &rng))
            var tick: UInt32 = 0
            for _ in 0..<500 {
                tick += UInt32.random(in: 0...3, using: &rng)
                log.changes.append(.init(tick: tick, slot: UInt8.random(in: 0...7, using: &rng),
                                         input: KartInput(buttons: UInt8.random(in: 0...255, using: &rng), steer: Int8.random(in: -127...127, using: &rng))))
            }
            log.ticks = tick + 1
            XCTAssertEqual(try InputLog(parsing: log.text()), log)
        }
    }

    func testCommentsBlankLinesTabsAndCRLF() throws {
        let text = "# a comment\r\n\r\nkklog 1   # magic\r\ntrack\toval\r\nplayers 2\nseed +7\nticks 10\n  0 1 FF -127 # full left\n3 0 0a 127\n"
        let log = try InputLog(parsing: text)
        XCTAssertEqual(log.track, "oval")
        XCTAssertEqual(log.seed, 7)
        XCTAssertEqual(log.changes, [.init(tick: 0, slot: 1, input: KartInput(buttons: 255, steer: -127)),
                                     .init(tick: 3, slot: 0, input: KartInput(buttons: 10, steer: 127))])
    }

    func testBrokenLinesAreRefusedWithTheirLineNumber() {
        let head = "kklog 1\ntrack oval\nplayers 2\nseed 1\nticks 9\n"
        let cases: [(String, Int)] = [
            ("kklog 2\n", 1),
            ("", 1),
            (head + "0 0 00 -128\n", 6),           // Int8.min is not a steer
            (head + "0 2 00 0\n", 6),              // no slot 2
            (head + "5 0 00 0\n4 0 00 0\n", 7),    // ticks decrease
            (head + "0 0 0g 0\n", 6),              // not hex
            (head + "0 0 100 0\n", 6),             // buttons > 255
            (head + "4294967296 0 00 0\n", 6),     // tick > UInt32
            (head + "0 0 00\n", 6),                // a word short
            (head + "0 0 00 -+5\n", 6),            // a sign too many
            ("kklog 1\nplayers 0\n", 2),
            ("kklog 1\nplayers 1000\n", 2),
            ("kklog 1\nlaps 0\n", 2),
            ("kklog 1\nseed 18446744073709551616\n", 2),
            ("kklog 1\ntrack oval\nplayers 2\nseed 1\n", 5),  // no ticks: missing header field
            ("kklog 1\n0 0 00 0\n", 2),            // a change before players
        ]
        for (text, line) in cases {
            XCTAssertThrowsError(try InputLog(parsing: text), "\(text.debugDescription)") { error in
                guard case PhysicsError.badLog(let l, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(l, line, "\(text.debugDescription)")
            }
        }
    }
}
