import KKWire

/// How early one player's inputs reach the shard: for each input's first arrival, its tick minus
/// the tick the shard steps next (0: just in time; negative: late, its tick already stepped).
/// The shard reports the smallest margin of the last ``window`` arrivals in every frame
/// (``PlayerAck/inputMargin``), and the client grows or shrinks its input lead to keep it at its
/// target (2 ticks): enough for what its path's delay, jitter and loss do, no more (the input
/// buffer of Overwatch and Rocket League). Late arrivals are counted by the shard
/// (`ShardCounters.inputsLate`). Pure, fixed size.
public struct InputTiming: Sendable {
    /// Arrivals the reported margin covers (about two seconds of inputs at 30 packets/s).
    public static let window = Limits.inputMarginArrivals
    private var margins = InlineArray<64, Int8>(repeating: 0)  // Limits.inputMarginArrivals
    private var count = 0
    private var next = 0
    public init() {}

    /// One input's first arrival, `ticksAhead` ticks before the tick the shard steps next.
    public mutating func arrived(ticksAhead: Int) {
        margins[next] = Int8(clamping: ticksAhead)
        next = (next + 1) % Self.window
        count = min(count + 1, Self.window)
    }

    /// The smallest margin of the window, or `PlayerAck.unknownMargin` before any arrival.
    public var lowestMargin: Int8 {
        guard count > 0 else { return PlayerAck.unknownMargin }
        var m = Int8.max
        for i in 0..<count where margins[i] < m { m = margins[i] }
        return m
    }

    /// Forgets the window (the player resumed: a new path, new timing).
    public mutating func reset() {
        count = 0
        next = 0
    }
}
