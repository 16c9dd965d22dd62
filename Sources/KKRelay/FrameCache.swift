import KKPhysics

/// The last authoritative states of one match, kept so each client's frame can be
/// delta-encoded against the frame that client acknowledged. A bounded ring whose slots are
/// swapped with the caller's parse buffer, so storing a frame allocates nothing: the evicted
/// state's arrays are parsed into next time.
public struct FrameCache: Sendable {
    public static let depth = 32
    private var ticks = [UInt32](repeating: 0, count: depth)
    private var valid = [Bool](repeating: false, count: depth)
    private var states = [MatchState](repeating: FrameCache.empty, count: depth)
    public private(set) var latestTick: UInt32 = 0

    /// A placeholder state (no karts) for empty slots and fresh parse buffers.
    public static var empty: MatchState {
        MatchState(tick: 0, race: RaceState(playerCount: 0, totalLaps: 0, countdownTicks: 0, rng: 0), karts: [])
    }

    public init() {}

    /// Stores `state` by swapping it into its slot; `state` comes back holding the evicted
    /// state (storage to parse the next frame into).
    public mutating func store(swapping state: inout MatchState) {
        let tick = state.tick
        let i = Int(tick % UInt32(Self.depth))
        swap(&states[i], &state)
        ticks[i] = tick
        valid[i] = true
        latestTick = tick
    }

    /// Stores a copy of `state` (tests, cold paths).
    public mutating func store(_ state: MatchState) {
        var s = state
        store(swapping: &s)
    }

    /// The state at `tick`, if still cached.
    public func state(at tick: UInt32) -> MatchState? {
        let i = Int(tick % UInt32(Self.depth))
        guard valid[i], ticks[i] == tick, states[i].tick == tick else { return nil }
        return states[i]
    }

    /// The newest stored state.
    public var latest: MatchState? { state(at: latestTick) }
}
