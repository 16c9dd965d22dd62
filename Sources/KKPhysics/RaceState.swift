/// Race phase.
public enum RacePhase: UInt8, Sendable, Equatable {
    /// Karts frozen on the grid; `RaceState.phaseTicks` counts down to 0.
    case countdown = 0
    /// Racing; `RaceState.phaseTicks` counts racing ticks.
    case racing = 1
    /// Every kart finished, retired or timed out.
    case finished = 2
}

/// Race-wide state: phase, timers, finish order.
public struct RaceState: Equatable, Sendable {
    public var phase: RacePhase
    /// Countdown: ticks left. Racing/finished: ticks since the start.
    public var phaseTicks: UInt32
    /// Laps to complete.
    public var totalLaps: UInt8
    /// Ticks left for the others once the first kart finished; `UInt16.max` = not started.
    public var graceTicks: UInt16
    /// Number of valid entries at the front of `finishOrder`.
    public var finishedCount: UInt8
    /// Kart slots in finishing order; unused entries are 0xFF. Length = player count.
    public var finishOrder: [UInt8]
    /// Deterministic PRNG state (SplitMix64), reserved for gameplay randomness.
    public var rng: UInt64

    public init(playerCount: Int, totalLaps: UInt8, countdownTicks: UInt32, rng: UInt64) {
        phase = .countdown
        phaseTicks = countdownTicks
        self.totalLaps = totalLaps
        graceTicks = .max
        finishedCount = 0
        finishOrder = [UInt8](repeating: 0xFF, count: playerCount)
        self.rng = rng
    }
}
