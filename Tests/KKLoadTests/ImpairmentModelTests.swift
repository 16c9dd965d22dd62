import KKLoad
import Testing

/// Burst loss (Gilbert-Elliott) and delay spikes of the impairment model.
@Suite struct ImpairmentModelTests {
    /// Losses in the bad state come in runs whose mean length is 1 / exitBad, the total at the
    /// model's long-run rate; independent loss at the same rate gives runs of about one.
    @Test func burstLossComesInRunsAtTheModelsRate() {
        let burst = BurstLoss(enterBad: 0.02, exitBad: 0.25)
        let bursty = ImpairmentProfile(loss: 0.01, burst: burst)
        let flat = ImpairmentProfile(loss: bursty.meanLoss)
        func runs(_ p: ImpairmentProfile) -> (rate: Double, meanRun: Double, burstDrops: Int) {
            var m = ImpairmentModel(profile: p, seed: 3)
            var drops = 0, runs = 0, inRun = false, burstDrops = 0, burstRuns = 0, inBurst = false
            for i in 0..<200_000 {
                let v = m.next(nowMicros: Int64(i) * 1000)
                if v.deliverAtMicros == nil {
                    drops += 1
                    if !inRun { runs += 1; inRun = true }
                } else { inRun = false }
                if v.burstDropped {
                    burstDrops += 1
                    if !inBurst { burstRuns += 1; inBurst = true }
                } else { inBurst = false }
            }
            let meanRun = burstRuns > 0 ? Double(burstDrops) / Double(burstRuns) : Double(drops) / Double(max(runs, 1))
            return (Double(drops) / 200_000, meanRun, burstDrops)
        }
        let b = runs(bursty), f = runs(flat)
        #expect(abs(b.rate - bursty.meanLoss) < 0.01, "\(b.rate) vs \(bursty.meanLoss)")
        #expect(abs(b.meanRun - 4) < 0.8, "mean burst \(b.meanRun) datagrams, 1 / exitBad = 4")
        #expect(f.meanRun < 1.2 && f.burstDrops == 0)
        #expect(b.burstDrops > 0 && b.burstDrops < Int(b.rate * 200_000))
    }

    /// A spike delays every datagram for its duration, in order, then the path recovers.
    @Test func delaySpikesHoldDatagramsBackInOrder() {
        let p = ImpairmentProfile(latencyMillis: 20, spikes: DelaySpikes(probability: 0.01, extraMillis: 300, durationMillis: 200))
        var m = ImpairmentModel(profile: p, seed: 5)
        var spiked = 0, last: Int64 = 0, ordered = true, maxDelay: Int64 = 0
        for i in 0..<50_000 {
            let now = Int64(i) * 2000
            let v = m.next(nowMicros: now)
            guard let at = v.deliverAtMicros else { Issue.record("no loss configured"); return }
            if v.spiked { spiked += 1 }
            if at < last { ordered = false }
            last = at
            maxDelay = max(maxDelay, at - now)
        }
        #expect(ordered)
        #expect(maxDelay >= 320_000 && maxDelay <= 320_000 + 200_000, "\(maxDelay) µs")
        // A spike starts about every 100 datagrams and lasts 100 (200 ms at 2 ms apart): about half.
        #expect(spiked > 10_000 && spiked < 40_000, "\(spiked)")
    }

    @Test func badBurstAndSpikeSettingsAreNamed() {
        var link = LinkImpairment()
        link.up.burst = BurstLoss(enterBad: 0.1, exitBad: 0)
        link.down.spikes = DelaySpikes(probability: 2, extraMillis: -1, durationMillis: 10)
        var s = Scenario()
        s.impairment = link
        let problems = s.validate().joined(separator: "\n")
        #expect(problems.contains("impairment.up.burst.exitBad must be > 0"))
        #expect(problems.contains("impairment.down.spikes.probability must be 0...1"))
        #expect(problems.contains("impairment.down.spikes times must be >= 0"))
    }
}
