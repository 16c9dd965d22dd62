@testable import KKLoad
import Testing

/// The chaos report's split of resumes, lost inputs and stalls by fault.
@Suite struct FaultImpactTests {
    func line(_ second: Int, resumes: Int = 0, checked: Int = 100, lost: Int = 0, stalls: Int = 0, maxStall: Double = 0, failed: Int = 0) -> SecondLine {
        var l = SecondLine(second: second)
        l.resumes = resumes; l.inputsChecked = checked; l.inputsLost = lost
        l.stalls = stalls; l.maxStallMillis = maxStall; l.failed = failed
        return l
    }

    @Test func eachFaultOwnsTheSecondsUpToTheNext() {
        let timeline = [
            line(0), line(1),
            line(2, resumes: 3, lost: 5, stalls: 3, maxStall: 2500), line(3, resumes: 1, lost: 1, stalls: 1, maxStall: 900),
            line(4, lost: 40, stalls: 8, maxStall: 1900, failed: 1), line(5, lost: 2, failed: 1),
        ]
        let faults = [LoadReport.FaultRecord(atSeconds: 4.2, target: "shard ls0", pid: 2),
                      LoadReport.FaultRecord(atSeconds: 2.1, target: "relay lr0", pid: 1)]
        let split = LoadReport.FaultImpact.split(faults: faults, timeline: timeline)
        #expect(split.count == 2)
        #expect(split[0].target == "relay lr0" && split[0].windowSeconds == 2)
        #expect(split[0].resumes == 4 && split[0].inputsLost == 6 && split[0].inputsChecked == 200)
        #expect(split[0].stalls == 4 && split[0].maxStallMillis == 2500 && split[0].clientsFailed == 0)
        #expect(split[1].target == "shard ls0" && split[1].windowSeconds == 2)
        #expect(split[1].inputsLost == 42 && split[1].clientsFailed == 1 && split[1].maxStallMillis == 1900)
    }

    @Test func reportSummaryCarriesTheSplitAndItSurvivesAMerge() throws {
        var a = LoadReport(scenario: "chaos")
        a.timeline = [line(0), line(1, resumes: 2, lost: 3)]
        a.faults = [.init(atSeconds: 1.0, target: "relay lr0", pid: 9)]
        a.finalize()
        #expect(a.summary?.faultImpacts.first?.resumes == 2)
        var b = LoadReport(scenario: "chaos")
        b.timeline = [line(0), line(1, resumes: 5, lost: 1)]
        b.finalize()
        let m = try #require(LoadReport.merged([a, b]))
        #expect(m.summary?.faultImpacts.first?.resumes == 7)
        #expect(m.summary?.faultImpacts.first?.inputsLost == 4)
        let round = try LoadReport.parse(try m.json())
        #expect(round.summary?.faultImpacts == m.summary?.faultImpacts)
    }

    /// Per-fault stall percentiles come from the stalls of the fault's own seconds (merged across
    /// processes), and relay changes add up over its window.
    @Test func stallPercentilesAndRelayChangesPerFault() throws {
        func stalls(_ ms: [UInt64]) -> LatencyHistogram {
            var h = LatencyHistogram()
            for m in ms { h.record(m * 1000) }
            return h
        }
        var a = LoadReport(scenario: "chaos")
        var l2 = line(2, stalls: 3, maxStall: 900); l2.relayChanges = 2
        var l5 = line(5, stalls: 2, maxStall: 3000); l5.relayChanges = 0
        a.timeline = [line(0), line(1), l2, line(3), line(4), l5]
        a.stallsBySecond = [2: stalls([400, 500, 900]), 5: stalls([2000, 3000])]
        a.faults = [.init(atSeconds: 2.0, target: "relay lr0", pid: 1), .init(atSeconds: 5.0, target: "shard ls0", pid: 2)]
        var b = LoadReport(scenario: "chaos")
        b.timeline = a.timeline.map { SecondLine(second: $0.second) }
        b.stallsBySecond = [2: stalls([450])]
        let m = try #require(LoadReport.merged([a, b]))
        let f = try #require(m.summary?.faultImpacts)
        #expect(f.count == 2)
        #expect(f[0].relayChanges == 2 && f[1].relayChanges == 0)
        #expect(abs(f[0].stallP50Millis - 450) < 5 && abs(f[0].stallP99Millis - 900) < 5)
        #expect(abs(f[1].stallP50Millis - 2000) < 5 && abs(f[1].stallP99Millis - 3000) < 5)
    }
}

/// The HTML report: one SVG with a point per second for p50, p99 and clients, fault marks,
/// the Markdown tables, and text escaped.
@Suite struct HTMLReportTests {
    @Test func plotHasAPointPerSecondAndFaultMarks() {
        var r = LoadReport(scenario: "chaos <x>")
        r.timeline = (0..<30).map { i in
            var l = SecondLine(second: i)
            l.p50Millis = 100 + Double(i); l.p99Millis = 150 + Double(i); l.playing = 48
            return l
        }
        r.faults = [.init(atSeconds: 10, target: "relay lr0", pid: 1)]
        let html = HTMLReport.render(r)
        #expect(html.hasPrefix("<!doctype html>") && html.hasSuffix("</html>\n"))
        #expect(html.contains("chaos &lt;x&gt;") && !html.contains("chaos <x>"))
        for cls in ["p50", "p99", "playing"] {
            let line = html.split(separator: "\n").first { $0.contains("class=\"\(cls)\"") }
            let points = line.map { $0.split(separator: "points=\"")[1].split(separator: "\"")[0].split(separator: " ").count }
            #expect(points == 30, "\(cls)")
        }
        #expect(html.contains("stroke-dasharray") && html.contains("relay lr0"))
        #expect(html.contains("| measure | p50 |"))
        #expect(HTMLReport.niceCeiling(173) == 200 && HTMLReport.niceCeiling(1) == 1 && HTMLReport.niceCeiling(501) == 1000)
    }

}
