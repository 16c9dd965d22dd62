import KKLoad
import Testing

/// The max-pps ramp's plan (levels up, then bisection) and the held criterion.
@Suite struct PpsRampTests {
    func level(offered: Double, sent: Double, inputs: Double, applied: Double, frames: Double = 100, got: Double = 100) -> PpsLevel {
        PpsLevel(clients: 10, offeredPps: offered, sentPps: sent, inputsSentPerSecond: inputs, inputsForwardedPerSecond: applied,
                 inputsAppliedPerSecond: applied, framesExpectedPerSecond: frames, framesReceivedPerSecond: got,
                 latencyMillis: LatencyHistogram().summary(), generatorCpuPercent: 0, relayCpuPercent: 0, shardCpuPercent: 0,
                 relayDatagramsPerSecond: 0, relayMicrosPerDatagram: 0, failedClients: 0)
    }

    @Test func heldNeedsScheduleAndBothLossesWithinOnePercent() {
        #expect(level(offered: 1000, sent: 995, inputs: 995, applied: 990).held)
        #expect(level(offered: 1000, sent: 970, inputs: 970, applied: 970).failure()?.contains("schedule") == true)
        #expect(level(offered: 1000, sent: 1000, inputs: 1000, applied: 985).failure()?.contains("upstream") == true)
        #expect(level(offered: 1000, sent: 1000, inputs: 1000, applied: 1000, frames: 100, got: 98).failure()?.contains("downstream") == true)
        #expect(!level(offered: 0, sent: 0, inputs: 0, applied: 0).held)
        // More applied than sent (window edges) is no negative loss.
        #expect(level(offered: 1000, sent: 1000, inputs: 1000, applied: 1010).upLoss == 0)
    }

    @Test func rampGoesUpThenBisectsBetweenHeldAndFailed() {
        let ramp = PpsRamp(levels: [40_000, 10_000, 20_000], bisect: 2)
        var results: [(pps: Double, held: Bool)] = []
        #expect(ramp.next(after: results) == 10_000)
        results.append((10_000, true))
        #expect(ramp.next(after: results) == 20_000)
        results.append((20_000, true))
        #expect(ramp.next(after: results) == 40_000)
        results.append((40_000, false))
        #expect(ramp.next(after: results) == 30_000)
        results.append((30_000, false))
        #expect(ramp.next(after: results) == 25_000)
        results.append((25_000, true))
        #expect(ramp.next(after: results) == nil)
        #expect(PpsRamp.maxHeld(results) == 25_000)
    }

    @Test func everyLevelHeldEndsAtTheTopAndNothingHeldIsNil() {
        let ramp = PpsRamp(levels: [1000, 2000], bisect: 3)
        #expect(ramp.next(after: [(1000, true), (2000, true)]) == nil)
        #expect(PpsRamp.maxHeld([(1000, true), (2000, true)]) == 2000)
        #expect(PpsRamp.maxHeld([(1000, false)]) == nil)
        // A higher level that happened to hold above a failure does not count.
        #expect(PpsRamp.maxHeld([(1000, true), (2000, false), (1500, true), (3000, true)]) == 1500)
        #expect(PpsRamp.clients(forPps: 60_000, hz: 60) == 1000)
    }
}
