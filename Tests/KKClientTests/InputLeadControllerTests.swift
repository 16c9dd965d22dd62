import KKClient
import KKWire
import Testing

/// The adaptive input lead: raised at once when inputs arrive too close to (or after) their
/// tick, lowered a tick at a time when they arrive with room to spare, never faster than the
/// report can show the effect of the last change.
@Suite struct InputLeadControllerTests {
    let hold: Int64 = 2_000_000

    @Test func raisesAtOnceByTheShortfallThenHolds() {
        var c = InputLeadController(targetMargin: 1)
        c.observe(margin: PlayerAck.unknownMargin, nowMicros: 0, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 0 && c.lastMargin == nil)
        c.observe(margin: -3, nowMicros: 1_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 4 && c.lead(base: 10, maxLead: 45) == 14)
        // The report still covers inputs sent under the old lead: no second raise yet.
        c.observe(margin: -3, nowMicros: 500_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 4 && c.raises == 1)
        // After the hold, a margin still short raises again.
        c.observe(margin: 0, nowMicros: 2_100_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 5 && c.raises == 2)
    }

    @Test func lowersOneTickAtATimeOnlyAfterAQuietPeriod() {
        var c = InputLeadController(targetMargin: 1, quietMicros: 10_000_000)
        c.observe(margin: -1, nowMicros: 0, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 2)
        // At target or one above: keep.
        c.observe(margin: 2, nowMicros: 3_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 2)
        // Two or more above, but not for the quiet period yet: keep.
        c.observe(margin: 6, nowMicros: 4_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 6, nowMicros: 9_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 2)
        // A report at the target interrupts the quiet period: it starts again.
        c.observe(margin: 1, nowMicros: 10_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 6, nowMicros: 11_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 6, nowMicros: 20_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 2)
        c.observe(margin: 6, nowMicros: 21_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1 && c.lowers == 1)
        // Each further tick needs another quiet period.
        c.observe(margin: 6, nowMicros: 25_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1)
        var now: Int64 = 31_000_001
        for _ in 0..<20 {
            c.observe(margin: 6, nowMicros: now, holdMicros: hold, baseLead: 3, maxLead: 45)
            now += 10_000_001
        }
        // It goes below the formula's lead, but never below one tick.
        #expect(c.lead(base: 3, maxLead: 45) == 1)
    }

    @Test func neverRaisesPastTheCap() {
        var c = InputLeadController(targetMargin: 2)
        c.observe(margin: -40, nowMicros: 0, holdMicros: hold, baseLead: 40, maxLead: 45)
        #expect(c.lead(base: 40, maxLead: 45) == 45 && c.adjustTicks == 5)
        c.observe(margin: -40, nowMicros: 3_000_000, holdMicros: hold, baseLead: 40, maxLead: 45)
        #expect(c.adjustTicks == 5 && c.raises == 1)
    }
}
