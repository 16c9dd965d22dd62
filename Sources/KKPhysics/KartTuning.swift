/// Physics constants. Speeds are Q16.16 metres per tick (60 ticks per second),
/// accelerations Q16.16 metres per tick², angles binary units per tick. Documented
/// with derived real-world figures in docs/GAMEPLAY.md.
public enum KartTuning {
    /// 0.5 m/tick = 30 m/s = 108 km/h.
    public static let maxSpeed: Int64 = 32_768
    /// From rest to `maxSpeed` in exactly 128 ticks (2.133 s).
    public static let accel: Int64 = 256
    public static let brakeDecel: Int64 = 768
    public static let reverseAccel: Int64 = 128
    /// 7.5 m/s backwards.
    public static let maxReverse: Int64 = 8_192
    /// Speed lost per tick with neither throttle nor brake.
    public static let coastDrag: Int64 = 64
    /// 40 m/s while boosting.
    public static let boostMaxSpeed: Int64 = 43_690
    public static let boostAccel: Int64 = 512
    /// Speed shed per tick while above the current top speed.
    public static let overSpeedDrag: Int64 = 128
    /// Full-lock turn rate at or above `turnRefSpeed`: 420 units/tick ≈ 2.4 rad/s.
    public static let maxTurn: Int64 = 420
    public static let turnRefSpeed: Int64 = 16_384
    /// Fraction (Q16) of lateral velocity kept per tick: grip.
    public static let gripKeep: Int64 = 8_192
    /// Fraction of lateral velocity kept per tick while drifting.
    public static let driftGripKeep: Int64 = 58_982
    /// Extra turn towards the drift direction, units per tick.
    public static let driftBias: Int64 = 140
    /// Minimum forward speed to start a drift (15 m/s); the drift ends below half of it.
    public static let driftMinSpeed: Int64 = 16_384
    /// Drift ticks for the small / big mini-turbo, and their boost durations.
    public static let miniTurboCharge: UInt16 = 45
    public static let superTurboCharge: UInt16 = 90
    public static let miniTurboTicks: UInt16 = 30
    public static let superTurboTicks: UInt16 = 60
    /// Boost fired by `useItem`.
    public static let itemBoostTicks: UInt16 = 90
    public static let maxBoostStock: UInt8 = 3
    /// Per-axis velocity clamp: 2 m/tick.
    public static let maxAxisVelocity: Int64 = 131_072
    /// Kart collision radius: 1 m.
    public static let radius: Int64 = 65_536
    /// Kart-to-kart contact is soft, so that a contact a client predicted slightly wrong (its
    /// remote karts run on guessed inputs) costs a small correction, not a bounce: each tick
    /// the pair is pushed apart by 1/`contactSeparationDivisor` of the overlap each (a quarter
    /// together), and the closing speed is exchanged in proportion to how deep the overlap is,
    /// fully from `contactFullImpulseDepth` (1 m) on. A grazing touch nudges; a hard hit (which
    /// overlaps deep within a tick) still bounces.
    public static let contactSeparationDivisor: Int64 = 8
    public static let contactFullImpulseDepth: Int64 = 65_536
    /// Fraction of tangential speed kept when scraping a wall.
    public static let wallScrapeKeep: Int64 = 58_982
}

/// Race timing rules, in ticks.
public struct RaceRules: Equatable, Sendable {
    public var laps: UInt8
    /// Countdown before the start: 3 s.
    public var countdownTicks: UInt32 = 180
    /// A racing kart whose input stays neutral this long retires (20 s).
    public var idleTimeoutTicks: UInt16 = 1_200
    /// After the first finisher, the others have this long (30 s).
    public var finishGraceTicks: UInt16 = 1_800
    /// Hard race time limit (10 min); then everyone still racing times out.
    public var maxRaceTicks: UInt32 = 36_000

    public init(laps: UInt8) { self.laps = laps }
}

/// SplitMix64: a tiny deterministic PRNG (integer only).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound (bound > 0), by rejection-free multiply-shift.
    public mutating func below(_ bound: UInt64) -> UInt64 {
        bound == 0 ? 0 : next().multipliedFullWidth(by: bound).high
    }
}
