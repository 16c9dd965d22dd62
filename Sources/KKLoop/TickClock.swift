/// Fixed-rate tick scheduling with drift correction: given the monotonic time, says how many
/// ticks are due and when to wake next. Catch-up is bounded so a stall does not cause a burst
/// of hundreds of ticks; skipped time is counted.
public struct TickClock: Sendable {
    public let tickNanos: UInt64
    public let maxCatchUp: Int
    private(set) var nextDue: UInt64
    /// Ticks dropped because the process fell too far behind.
    public private(set) var skippedTicks = 0

    public init(ticksPerSecond: Int, startNanos: UInt64, maxCatchUp: Int = 5) {
        tickNanos = 1_000_000_000 / UInt64(ticksPerSecond)
        self.maxCatchUp = maxCatchUp
        nextDue = startNanos + tickNanos
    }

    /// Ticks to run now (0...maxCatchUp) and the milliseconds to sleep before the next call.
    public mutating func due(nowNanos: UInt64) -> (ticks: Int, sleepMillis: UInt64) {
        var n = 0
        while nowNanos >= nextDue && n < maxCatchUp {
            n += 1
            nextDue += tickNanos
        }
        if nowNanos >= nextDue {
            // Still behind after the catch-up budget: skip to now.
            let behind = Int((nowNanos - nextDue) / tickNanos) + 1
            skippedTicks += behind
            nextDue += UInt64(behind) * tickNanos
        }
        let sleep = (nextDue - min(nowNanos, nextDue) + 999_999) / 1_000_000
        return (n, sleep)
    }
}
