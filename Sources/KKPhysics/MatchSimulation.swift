import KKBytes

/// The deterministic match simulation: a track, race rules and a `MatchState`, stepped
/// at a fixed 60 Hz. The shard runs it authoritatively and clients run the same code to
/// predict; given the same initial state and inputs every machine produces the same
/// states bit for bit (integer math only, fixed iteration order, no dictionaries).
///
/// `step` performs no heap allocation once the state's arrays are uniquely owned.
public struct MatchSimulation: Sendable {
    /// Simulation rate.
    public static let ticksPerSecond = 60
    /// Positions are clamped to ±4096 m so that all geometry fits in `Int64`.
    public static let worldLimitMetres: Int64 = 4_096

    public let track: Track
    public let rules: RaceRules
    public var state: MatchState

    /// A new match on the grid in countdown. `seed` shuffles the grid order and seeds
    /// `RaceState.rng`. `playerCount` is clamped to 1...`Limits.maxPlayersPerMatch`.
    public init(track: Track, playerCount: Int, seed: UInt64, rules: RaceRules? = nil) {
        let rules = rules ?? RaceRules(laps: track.laps)
        let n = min(max(playerCount, 1), Limits.maxPlayersPerMatch)
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(rng.below(UInt64(i + 1)))
                order.swapAt(i, j)
            }
        }
        let karts = order.map { g in
            KartState(x: track.grid[g].x, y: track.grid[g].y, heading: track.gridHeading)
        }
        let race = RaceState(playerCount: n, totalLaps: rules.laps, countdownTicks: rules.countdownTicks, rng: rng.next())
        self.init(track: track, state: MatchState(tick: 0, race: race, karts: karts), rules: rules)
    }

    /// Resumes from an existing state (snapshot, authoritative frame, rollback).
    public init(track: Track, state: MatchState, rules: RaceRules? = nil) {
        self.track = track
        self.rules = rules ?? RaceRules(laps: track.laps)
        self.state = state
    }

    /// Advances one tick.
    ///
    /// `inputs[i]` is the input of kart slot `i` for this tick. **Missing-input policy:**
    /// a slot with no entry (`inputs.count` smaller than the player count) repeats its
    /// last applied input (`KartState.lastInput`); servers apply the same rule when a
    /// player's input for a tick has not arrived (see `ServerInputBuffer`). Extra entries
    /// are ignored. During the countdown karts are frozen but inputs are recorded; karts
    /// that finished, retired or timed out get neutral driving input.
    public mutating func step(inputs: [KartInput]) {
        let n = state.karts.count
        switch state.race.phase {
        case .countdown:
            for i in 0..<n where i < inputs.count { state.karts[i].lastInput = inputs[i] }
            if state.race.phaseTicks > 0 { state.race.phaseTicks -= 1 }
            if state.race.phaseTicks == 0 { state.race.phase = .racing }
        case .racing, .finished:
            let racing = state.race.phase == .racing
            for i in 0..<n {
                var k = state.karts[i]
                let input = i < inputs.count ? inputs[i] : k.lastInput
                let drives = racing && k.status == .racing
                KartDynamics.drive(&k, input: drives ? input : .neutral, previous: k.lastInput)
                if racing { RaceProgress.idle(&k, input: input, rules: rules) }
                k.lastInput = input
                Collisions.walls(&k, track: track)
                state.karts[i] = k
            }
            Collisions.karts(&state.karts)
            if racing {
                let finishedBefore = state.race.finishedCount
                for i in 0..<n { RaceProgress.checkpoints(&state, slot: i, track: track) }
                let graceStarted = finishedBefore == 0 && state.race.finishedCount > 0
                RaceProgress.endOfTick(&state, rules: rules, graceStarted: graceStarted)
            }
            if state.race.phaseTicks < UInt32.max { state.race.phaseTicks += 1 }
        }
        state.tick &+= 1
    }

    /// Replaces the state (rollback).
    ///
    /// Copies into the simulation's own arrays when the sizes match, so they stay uniquely
    /// owned: plain assignment would share `state`'s buffers and the next `step` would pay a
    /// copy-on-write allocation (one per rollback).
    public mutating func restore(_ state: MatchState) {
        guard self.state.karts.count == state.karts.count,
              self.state.race.finishOrder.count == state.race.finishOrder.count else {
            self.state = state
            return
        }
        var karts: [KartState] = []
        var finishOrder: [UInt8] = []
        swap(&karts, &self.state.karts)
        swap(&finishOrder, &self.state.race.finishOrder)
        self.state = state
        for i in karts.indices { karts[i] = state.karts[i] }
        for i in finishOrder.indices { finishOrder[i] = state.race.finishOrder[i] }
        swap(&karts, &self.state.karts)
        swap(&finishOrder, &self.state.race.finishOrder)
    }

    /// Clamps a Q16.16 coordinate into the world.
    @inlinable static func clampWorld(_ v: Int64) -> Int32 {
        let lim = worldLimitMetres << 16
        return Int32(Fx.clamp(v, -lim, lim))
    }
}
