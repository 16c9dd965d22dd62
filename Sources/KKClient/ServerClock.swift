/// Estimates the server's current tick from frame arrivals, and the client's tick lead.
///
/// Each frame for tick T arriving at local time t gives a sample of `T x tick - t`. The
/// estimate follows the earliest arrivals (a late frame only pulls it down slowly, by 1/32),
/// so queueing delay does not drag the client's clock; a jump of more than half a second
/// (another shard, a long stall) is adopted at once.
public struct ServerClock: Sendable {
    public let tickMicros: Int64
    /// Server time minus local time, microseconds (nil until the first sample).
    public private(set) var offsetMicros: Int64?

    public init(tickRate: Int) { tickMicros = 1_000_000 / Int64(max(tickRate, 1)) }

    /// A frame (or Welcome) for `tick` arrived at `nowMicros`.
    public mutating func observe(tick: UInt32, nowMicros: Int64) {
        let sample = Int64(tick) * tickMicros - nowMicros
        guard let o = offsetMicros, abs(sample - o) < 500_000 else { offsetMicros = sample; return }
        offsetMicros = sample > o ? sample : o + (sample - o) / 32
    }

    /// The estimated server tick now, in 1/256 ticks (nil before any sample).
    public func serverTickQ8(nowMicros: Int64) -> Int64? {
        guard let o = offsetMicros else { return nil }
        return (nowMicros + o) * 256 / tickMicros
    }

    /// Ticks the client predicts ahead of the estimated server tick so that its input for a
    /// tick reaches the shard before the shard steps it: the round trip (the estimate lags by
    /// the downlink delay, the input needs the uplink delay) plus twice the jitter, the send
    /// interval (an input may wait that long for its packet) and `extra`.
    public func leadTicks(rtt: RttEstimator, sendEveryTicks: Int, extra: Int, max maxLead: Int) -> Int {
        let delay = rtt.smoothedMicros + 2 * rtt.jitterMicros
        let ticks = Int((delay + tickMicros - 1) / tickMicros)
        return min(maxLead, ticks + sendEveryTicks + extra)
    }
}
