/// Where a kart stands in the race.
public enum KartStatus: UInt8, Sendable, Equatable {
    /// Still racing.
    case racing = 0
    /// Crossed the line after the last lap.
    case finished = 1
    /// Removed by the idle timeout (neutral input for `RaceRules.idleTimeoutTicks`).
    case retiredIdle = 2
    /// Did not finish before the finish grace period or race time limit ran out.
    case timedOut = 3
}

/// The full dynamic state of one kart. Every field is part of the canonical form.
public struct KartState: Equatable, Sendable {
    /// Position, Q16.16 metres.
    public var x: Int32
    public var y: Int32
    /// Velocity, Q16.16 metres per tick.
    public var vx: Int32
    public var vy: Int32
    /// Heading, binary angle (65 536 per turn, 0 = +x, counter-clockwise).
    public var heading: UInt16
    /// Current lap (1-based); 0 before first crossing the start line.
    public var lap: UInt8
    /// Index into `Track.checkpoints` of the next checkpoint to pass.
    public var nextCheckpoint: UInt8
    public var status: KartStatus
    /// -1, 0 or +1: drift direction while drifting.
    public var driftDir: Int8
    /// Ticks spent in the current drift (saturating).
    public var driftCharge: UInt16
    /// Remaining boost ticks.
    public var boostTicks: UInt16
    /// Boosts the kart can fire with `useItem`.
    public var boostStock: UInt8
    /// The last input applied (the missing-input policy repeats it).
    public var lastInput: KartInput
    /// Consecutive racing ticks with neutral input (saturating).
    public var idleTicks: UInt16
    /// Tick at which the kart finished (0 if not finished).
    public var finishTick: UInt32

    public init(x: Int32, y: Int32, heading: UInt16) {
        self.x = x; self.y = y; self.vx = 0; self.vy = 0
        self.heading = heading
        self.lap = 0; self.nextCheckpoint = 0; self.status = .racing
        self.driftDir = 0; self.driftCharge = 0; self.boostTicks = 0; self.boostStock = 1
        self.lastInput = .neutral; self.idleTicks = 0; self.finishTick = 0
    }

    /// Size of one kart in the canonical form.
    public static let canonicalSize = 35
}
