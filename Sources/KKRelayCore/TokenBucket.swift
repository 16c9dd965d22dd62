/// A token bucket: `rate` tokens per second, up to `burst`. Time is an argument (milliseconds),
/// so tests can jump the clock.
public struct TokenBucket: Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var lastMillis: UInt64

    public init(ratePerSecond: Double, burst: Double, nowMillis: UInt64) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        tokens = burst
        lastMillis = nowMillis
    }

    /// Takes `cost` tokens if available.
    public mutating func take(_ cost: Double = 1, nowMillis: UInt64) -> Bool {
        if nowMillis > lastMillis {
            tokens = min(burst, tokens + Double(nowMillis - lastMillis) * ratePerSecond / 1000)
            lastMillis = nowMillis
        }
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }
}
