import KKLoop
import Testing

@Suite struct TickClockTests {
    @Test func tickClockCorrectsDriftAndBoundsCatchUp() {
        var c = TickClock(ticksPerSecond: 60, startNanos: 0)
        #expect(c.due(nowNanos: 10_000_000).ticks == 0)
        #expect(c.due(nowNanos: 16_666_666).ticks == 1)
        // Over one simulated second of 1 ms wake-ups exactly 60 ticks are due.
        var c2 = TickClock(ticksPerSecond: 60, startNanos: 0)
        var total = 0
        for ms in 1...1000 { total += c2.due(nowNanos: UInt64(ms) * 1_000_000).ticks }
        #expect(total == 60)
        // A 1 s stall runs at most 5 ticks and skips the rest.
        var c3 = TickClock(ticksPerSecond: 60, startNanos: 0)
        #expect(c3.due(nowNanos: 1_000_000_000).ticks == 5)
        #expect(c3.skippedTicks == 55)
    }
}
