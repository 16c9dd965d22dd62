import KKClient
import KKWire
import Testing

/// The adaptive input lead: raised at once when inputs arrive too close to (or after) their
/// tick, lowered in one step by the spare margin once every report of a quiet period had a tick to
/// spare, never faster than the report can show the effect of the last change; a late input raises
/// the target margin itself for a minute.
@Suite struct InputLeadControllerTests {
    let hold: Int64 = 2_000_000

    @Test func raisesAtOnceByTheShortfallThenHolds() {
        var c = InputLeadController(targetMargin: 1)
        c.observe(margin: PlayerAck.unknownMargin, nowMicros: 0, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 0 && c.lastMargin == nil)
        // Short but not late: raised by the shortfall, the target stays.
        c.observe(margin: 0, nowMicros: 1_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1 && c.lead(base: 10, maxLead: 45) == 11 && c.targetMargin == 1)
        // The report still covers inputs sent under the old lead: no second raise yet.
        c.observe(margin: -3, nowMicros: 500_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1 && c.raises == 1 && c.targetMargin == 1)
        // After the hold, a late input raises the target to 2 and the lead by the new shortfall.
        c.observe(margin: -3, nowMicros: 2_100_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 2 && c.adjustTicks == 6 && c.raises == 2)
    }

    @Test func lowersByTheSpareMarginAfterAQuietPeriod() {
        var c = InputLeadController(targetMargin: 1, quietMicros: 4_000_000)
        c.observe(margin: 0, nowMicros: 0, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1)
        // Within the hold: ignored, even when comfortable.
        c.observe(margin: 6, nowMicros: 1_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        // At the target, or one tick above it: keep.
        c.observe(margin: 1, nowMicros: 3_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 2, nowMicros: 3_500_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1)
        // Spare margins (smallest 4) for less than the quiet period: keep.
        c.observe(margin: 6, nowMicros: 4_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 4, nowMicros: 6_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1)
        // A report one above the target interrupts the quiet period: it starts again.
        c.observe(margin: 2, nowMicros: 7_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 5, nowMicros: 8_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        c.observe(margin: 4, nowMicros: 11_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 1)
        // Quiet for 4 s with at least 3 ticks over the target: lowered by 2 at once (one spare tick stays).
        c.observe(margin: 6, nowMicros: 12_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == -1 && c.lowers == 1)
        // The next lowering needs a new quiet period under the new lead.
        c.observe(margin: 6, nowMicros: 15_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == -1)
        var now: Int64 = 20_000_000
        for _ in 0..<20 {
            c.observe(margin: 9, nowMicros: now, holdMicros: hold, baseLead: 3, maxLead: 45)
            now += 5_000_000
        }
        // It goes below the formula's lead, but never below one tick.
        #expect(c.lead(base: 3, maxLead: 45) == 1)
    }

    @Test func lateInputsRaiseTheTargetForAMinute() {
        var c = InputLeadController(targetMargin: 2)
        var now: Int64 = 0
        for _ in 0..<5 {
            c.observe(margin: -1, nowMicros: now, holdMicros: hold, baseLead: 10, maxLead: 45)
            now += hold
        }
        // Up to three ticks above the configured target.
        #expect(c.targetMargin == 5 && c.minTargetMargin == 2)
        // Under a minute without a late input: kept.
        c.observe(margin: 5, nowMicros: now + 30_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 5)
        // A minute: one tick down, and another minute for the next.
        c.observe(margin: 5, nowMicros: now + 59_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 4)
        c.observe(margin: 5, nowMicros: now + 90_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 4)
        c.observe(margin: 5, nowMicros: now + 120_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 3)
    }

    @Test func aLateInputHoldsTheLeadUpFor20Seconds() {
        var c = InputLeadController(targetMargin: 1, quietMicros: 4_000_000)
        c.observe(margin: -1, nowMicros: 1_000_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.targetMargin == 2 && c.adjustTicks == 3)
        for t: Int64 in [3_100_000, 5_100_000, 7_100_000, 9_100_000, 15_000_000, 20_900_000] {
            c.observe(margin: 6, nowMicros: t, holdMicros: hold, baseLead: 10, maxLead: 45)
        }
        #expect(c.adjustTicks == 3, "quiet for more than 4 s, but within 20 s of the late input")
        c.observe(margin: 6, nowMicros: 21_500_000, holdMicros: hold, baseLead: 10, maxLead: 45)
        #expect(c.adjustTicks == 0 && c.lowers == 1)
    }

    @Test func neverRaisesPastTheCap() {
        var c = InputLeadController(targetMargin: 2)
        c.observe(margin: -40, nowMicros: 0, holdMicros: hold, baseLead: 40, maxLead: 45)
        #expect(c.lead(base: 40, maxLead: 45) == 45 && c.adjustTicks == 5)
        c.observe(margin: -40, nowMicros: 3_000_000, holdMicros: hold, baseLead: 40, maxLead: 45)
        #expect(c.adjustTicks == 5 && c.raises == 1)
    }
}
