import KKTerminalUI
import XCTest

final class ResultsScreenTests: XCTestCase {
    func testRendersPlacesTimesBoardAndRewardWithin80x24() {
        var s = ResultsScreen(me: 42, matchId: 981, track: "sprint")
        XCTAssertTrue(s.render().contains { $0.contains("waiting for the results service") })
        s.verified = true
        s.racers = [.init(place: 1, playerId: 7, raceTicks: 754, status: "finished"), .init(place: 2, playerId: 42, raceTicks: 781, status: "finished"),
                    .init(place: nil, playerId: 9, raceTicks: nil, status: "timedOut")]
        s.top = (1...5).map { .init(rank: $0, playerId: Int64(100 + $0), bestTicks: 700 + $0) }
        s.aroundMe = [.init(rank: 11, playerId: 5, bestTicks: 770), .init(rank: 12, playerId: 42, bestTicks: 781), .init(rank: 13, playerId: 6, bestTicks: 790)]
        s.reward = 70
        s.balance = 420
        let lines = s.render()
        XCTAssertLessThanOrEqual(lines.count, 24)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 })
        XCTAssertTrue(lines.contains { $0.contains("verified") })
        XCTAssertTrue(lines.contains { $0.contains("2.") && $0.contains("you (42)") && $0.contains("0:13.01") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.contains("--") && $0.contains("timedOut") })
        XCTAssertTrue(lines.contains { $0.contains("reward: +70") && $0.contains("balance: 420") })
        XCTAssertTrue(lines.contains { $0.contains("12.") && $0.contains("<- you") })
        XCTAssertTrue(lines.contains { $0 == "  ..." }, "a gap between the top and my rank")
        XCTAssertEqual(ResultsScreen.time(60 * 83 + 30), "1:23.50")
        s.verified = false
        s.unverifiedReason = "mismatch: slot 1"
        XCTAssertTrue(s.render().contains { $0.contains("NOT verified - mismatch") })
    }
}
