/// A deterministic autopilot (integer math, seeded): follows the centreline with a
/// per-slot lane offset, drifts in medium corners and fires boosts now and then.
/// Used to produce input logs, SyncTest traffic and netcode-simulator players.
public struct BotDriver: Sendable {
    public let slot: Int
    public var rng: SplitMix64
    /// Chance per tick (out of 65 536) of a random steering wobble.
    public var wobble: UInt64
    private var wobbleTicks = 0
    private var wobbleSteer: Int8 = 0

    public init(slot: Int, seed: UInt64, wobble: UInt64 = 600) {
        self.slot = slot
        self.rng = SplitMix64(seed: seed ^ (UInt64(slot) &* 0x9E37_79B9_7F4A_7C15))
        self.wobble = wobble
    }

    /// The bot's input for the state it sees.
    public mutating func input(state: MatchState, track: Track) -> KartInput {
        guard slot < state.karts.count else { return .neutral }
        let k = state.karts[slot]
        // Lane offset: shift the target sideways by a slot-dependent amount.
        let lane = Int64(slot % 4) * 2 * 256 - 3 * 256
        let (cross, dot) = track.headingError(of: k, lateral: lane)
        var steer = Track.steering(cross: cross, dot: dot)
        if wobbleTicks > 0 {
            wobbleTicks -= 1
            steer = Fx.clamp(steer + Int64(wobbleSteer), -127, 127)
        } else if rng.below(65_536) < wobble {
            wobbleTicks = Int(rng.below(20)) + 5
            wobbleSteer = Int8(Int64(rng.below(121)) - 60)
        }
        let c = Trig.cos(k.heading), s = Trig.sin(k.heading)
        let speed = Fx.mul(Int64(k.vx), c) + Fx.mul(Int64(k.vy), s)
        var buttons = KartInput.accelerate
        let absErr = abs(cross)
        if absErr > 45_000 && speed > 20_000 { buttons = KartInput.brake }
        if absErr > 14_000 && absErr <= 45_000 && speed > KartTuning.driftMinSpeed { buttons |= KartInput.drift }
        if k.driftDir != 0 && absErr > 6_000 { buttons |= KartInput.drift }
        if k.boostStock > 0 && rng.below(600) == 0 { buttons |= KartInput.useItem }
        return KartInput(buttons: buttons, steer: Int8(steer))
    }
}
