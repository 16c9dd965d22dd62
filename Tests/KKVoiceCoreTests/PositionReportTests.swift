import KKVoiceCore
import Testing

struct PositionReportTests {
    @Test func roundTripsAndRefusesMalformedReports() {
        let r = PositionReport.positions(match: 7, tick: 120, karts: [3: KartPosition(x: 10.04, y: -2.26), 1: KartPosition(x: -0.05, y: 0)])
        #expect(r.text == "pos 7 120 1:-0.1:0.0 3:10.0:-2.3" || r.text == "pos 7 120 1:-0.0:0.0 3:10.0:-2.3")
        #expect(PositionReport(parsing: "pos 7 120 1:-0.1:0.0 3:10.0:-2.3") == .positions(match: 7, tick: 120,
            karts: [1: KartPosition(x: -0.1, y: 0), 3: KartPosition(x: 10, y: -2.3)]))
        #expect(PositionReport(parsing: "end 9") == .ended(match: 9))
        var s = ""
        PositionReport.append(match: 2, tick: 5, karts: [(Int64(4), 1.25, 2.0)], to: &s)
        #expect(PositionReport(parsing: s) == .positions(match: 2, tick: 5, karts: [4: KartPosition(x: 1.3, y: 2.0)]) ||
                PositionReport(parsing: s) == .positions(match: 2, tick: 5, karts: [4: KartPosition(x: 1.2, y: 2.0)]))
        for bad in ["", "pos", "pos x 1", "pos 1 2 3", "pos 1 2 a:1:2", "pos 1 2 1:nan:2", "pos 1 2 1:1:2 1:3:4", "end", "end 1 2", "hello 1",
                    "pos 1 2 " + (0...64).map { "\($0):1:1" }.joined(separator: " ")] {
            #expect(PositionReport(parsing: bad) == nil, "\(bad.prefix(40))")
        }
    }
}
