import Foundation
import KKLoad
import Testing

/// LoadReport: parse, merge, thresholds, knee; scenario decoding; impairment model.
@Suite struct ReportTests {
    func report(_ name: String, latencies: [UInt64], received: Int, expected: Int, failed: Int = 0) -> LoadReport {
        var r = LoadReport(scenario: name)
        r.clientsPlanned = 10
        r.gauges.started = 10
        r.gauges.playing = 10 - failed
        r.gauges.failed = failed
        r.counters.framesReceived = received
        r.counters.framesExpected = expected
        r.counters.inputChecks = 1000
        r.counters.inputMisses = 5
        r.counters.bytesUp = 1000
        r.playingSeconds = 100
        latencies.forEach { r.latencyMicros.record($0) }
        var step = StepResult(index: 0, clients: 10)
        step.measuredSeconds = 3
        step.playing = 10
        latencies.forEach { step.latencyMicros.record($0) }
        r.steps = [step]
        var line = SecondLine(second: 0)
        line.p99Millis = Double(latencies.max() ?? 0) / 1000
        line.latencyCount = latencies.count
        r.timeline = [line]
        r.thresholds.p99LatencyMillis = 100
        r.thresholds.maxDownLoss = 0.02
        r.thresholds.maxErrors = 0
        r.finalize()
        return r
    }

    @Test func parseRecomputesSummaryAndRoundTrips() throws {
        let r = report("a", latencies: [10_000, 20_000, 30_000], received: 990, expected: 1000)
        var data = try r.json()
        // A stale or forged summary in the file is ignored: parse recomputes it.
        var obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var s = obj["summary"] as! [String: Any]
        s["passed"] = false
        obj["summary"] = s
        data = try JSONSerialization.data(withJSONObject: obj)
        let back = try LoadReport.parse(data)
        #expect(back.summary?.passed == true)
        #expect(back.counters == r.counters)
        #expect(back.latencyMicros == r.latencyMicros)
        #expect(abs(back.summary!.downLoss - 0.01) < 1e-9)
        #expect(abs(back.summary!.upLoss - 0.005) < 1e-9)
    }

    /// A report written before a counter existed still reads (the counter is 0), and every
    /// counter round-trips by name.
    @Test func countersMissingFromAnOlderReportReadAsZero() throws {
        var k = LoadCounters()
        for (i, (_, path)) in LoadCounters.fields.enumerated() { k[keyPath: path] = i + 1 }
        let data = try JSONEncoder().encode(k)
        #expect(try JSONDecoder().decode(LoadCounters.self, from: data) == k)
        var obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        obj["heldUpRounds"] = nil
        let old = try JSONDecoder().decode(LoadCounters.self, from: JSONSerialization.data(withJSONObject: obj))
        #expect(old.heldUpRounds == 0 && old.rematches == k.rematches && old.handshakes == 1)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(LoadCounters.self, from: Data(#"{"handshakes": "many"}"#.utf8)) }
    }

    @Test func parseRejectsGarbage() {
        #expect(throws: (any Error).self) { try LoadReport.parse(Data("{\"scenario\": 5}".utf8)) }
    }

    @Test func mergeAddsCountersAndHistograms() throws {
        let a = report("x", latencies: [10_000, 20_000], received: 500, expected: 500)
        let b = report("x", latencies: [150_000], received: 400, expected: 500, failed: 1)
        let m = try #require(LoadReport.merged([a, b]))
        #expect(m.processes == 2)
        #expect(m.counters.framesReceived == 900 && m.counters.framesExpected == 1000)
        #expect(m.latencyMicros.count == 3)
        #expect(m.steps.count == 1 && m.steps[0].latencyMicros.count == 3 && m.steps[0].clients == 20)
        #expect(m.timeline.count == 1 && m.timeline[0].latencyCount == 3 && m.timeline[0].p99Millis == 150)
        let s = try #require(m.summary)
        #expect(!s.passed)
        #expect(s.violations.contains { $0.contains("latency p99") })
        #expect(s.violations.contains { $0.contains("downlink loss") })
        #expect(s.violations.contains { $0.contains("errors 1") })
    }

    @Test func correctionThresholdsAreChecked() throws {
        var r = report("c", latencies: [10_000], received: 1000, expected: 1000)
        for mm in [10.0, 20, 3_000] { r.correctionMm.record(UInt64(mm)) }
        r.thresholds.maxCorrectionP99Metres = 1.5
        r.thresholds.maxCorrectionsPerClientSecond = 0
        r.counters.corrections = 30
        r.finalize()
        let s = try #require(r.summary)
        #expect(s.violations.contains { $0.contains("correction p99") })
        #expect(s.violations.contains { $0.contains("corrections") && $0.contains("per client-second") })
    }

    @Test func kneeIsLastStepWithinBudgetBeforeTheFirstBreak() {
        var budget = Scenario.CapacityBudget()
        budget.p99Millis = 50
        budget.maxLoss = 0.01
        func step(_ i: Int, clients: Int, p99: UInt64, lost: Int) -> StepResult {
            var s = StepResult(index: i, clients: clients)
            s.measuredSeconds = 3
            s.playing = Double(clients)
            for _ in 0..<100 { s.latencyMicros.record(p99) }
            s.counters.framesExpected = 1000
            s.counters.framesReceived = 1000 - lost
            return s
        }
        let steps = [step(0, clients: 100, p99: 20_000, lost: 0), step(1, clients: 200, p99: 40_000, lost: 5),
                     step(2, clients: 300, p99: 80_000, lost: 0), step(3, clients: 400, p99: 10_000, lost: 0)]
        let k = KneeResult.find(steps, budget: budget)
        #expect(k?.clients == 200)
        #expect(k?.brokeAtClients == 300)
        #expect(k?.brokeBecause?.contains("p99") == true)
        let all = KneeResult.find(Array(steps.prefix(2)), budget: budget)
        #expect(all?.clients == 200 && all?.brokeAtClients == nil)
    }

    @Test func aggregatorWindowsStepsAndDeltas() {
        var agg = LoadAggregator(workers: 2, stepSeconds: 2, settleSeconds: 1)
        for second in 0..<4 {
            for w in 0..<2 {
                var s = WorkerSample(worker: w, second: second)
                s.counters.framesExpected = (second + 1) * 100
                s.counters.framesReceived = (second + 1) * 100 - (second == 3 ? 10 : 0)
                s.gauges.started = 5; s.gauges.playing = 5
                s.latency.record(UInt64(1000 * (second + 1)))
                agg.add(s)
            }
            #expect(agg.arrived(second) == 2)
            let line = agg.close(second: second, scheduledClients: 10, cpu: CpuShare(generator: 50))
            #expect(line.playing == 10 && line.latencyCount == 2)
        }
        #expect(agg.steps.count == 2)
        #expect(agg.steps[0].measuredSeconds == 1 && agg.steps[0].latencyMicros.count == 2)
        #expect(abs(agg.steps[1].counters.downLoss - 0.1) < 1e-9)   // second 3: 20 of 200 lost
        #expect(agg.latency.count == 8)
        #expect(agg.playingSeconds == 40)
    }

    @Test func scenarioDefaultsAndValidation() throws {
        let s = try Scenario.load(Data("{\"name\":\"t\",\"clients\":50,\"ramp\":{\"stepClients\":20}}".utf8))
        #expect(s.clients == 50 && s.ramp.stepClients == 20 && s.ramp.stepSeconds == 5 && s.steps == 3)
        #expect(s.plannedSeconds == 3 * 5 + 10)
        #expect(s.validate().isEmpty)
        var bad = s
        bad.inputHz = 25
        bad.impairment.up.loss = 2
        #expect(bad.validate().count == 2)
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("LoadTests/scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 10)
        for f in files {
            let sc = try Scenario.load(try Data(contentsOf: dir.appendingPathComponent(f)))
            #expect(sc.validate().isEmpty, "\(f): \(sc.validate())")
            #expect(sc.name + ".json" == f, "a scenario is named after its file")
        }
    }

    @Test func impairmentModelIsSeededAndHonoursRates() {
        let p = ImpairmentProfile(latencyMillis: 20, jitterMillis: 5, loss: 0.1, duplicate: 0.05, reorder: 0.0)
        var a = ImpairmentModel(profile: p, seed: 9), b = ImpairmentModel(profile: p, seed: 9)
        var drops = 0, dups = 0, last: Int64 = 0, ordered = true
        for i in 0..<20_000 {
            let now = Int64(i) * 1000
            let va = a.next(nowMicros: now), vb = b.next(nowMicros: now)
            #expect(va == vb)
            guard let at = va.deliverAtMicros else { drops += 1; continue }
            if va.duplicateAtMicros != nil { dups += 1 }
            #expect(at >= now + 15_000 && at <= now + 25_000 + 1000)
            if at < last { ordered = false }
            last = at
        }
        #expect(ordered)  // jitter without reorder keeps order
        #expect(abs(Double(drops) / 20_000 - 0.1) < 0.01)
        #expect(abs(Double(dups) / 18_000 - 0.05) < 0.01)
        var r = ImpairmentModel(profile: ImpairmentProfile(reorder: 0.2, reorderMillis: 10), seed: 1)
        var overtaken = 0, prev: Int64 = 0
        for i in 0..<1000 {
            let at = r.next(nowMicros: Int64(i) * 1000).deliverAtMicros!
            if at < prev { overtaken += 1 }
            prev = at
        }
        #expect(overtaken > 100)
    }
}
