import KKPhysics

/// The last authoritative states of one match, kept so each client's frame can be
/// delta-encoded against the frame that client acknowledged. A bounded ring whose slots are
/// swapped with the caller's parse buffer, so storing a frame allocates nothing: the evicted
/// state's arrays are parsed into next time.
public struct FrameCache: Sendable {
    public static let depth = 32
    /// Slot `tick % depth`; a slot holds the state of its tick, or ``MatchState/empty``.
    private var states = [MatchState](repeating: .empty, count: depth)
    public private(set) var latestTick: UInt32 = 0

    public init() {}

    /// Stores `state` by swapping it into its slot; `state` comes back holding the evicted
    /// state (storage to parse the next frame into).
    public mutating func store(swapping state: inout MatchState) {
        let tick = state.tick
        swap(&states[Int(tick % UInt32(Self.depth))], &state)
        latestTick = tick
    }

    /// The state at `tick`, if still cached (a placeholder has no karts; a frame always has some).
    public func state(at tick: UInt32) -> MatchState? {
        let s = states[Int(tick % UInt32(Self.depth))]
        guard s.tick == tick, !s.karts.isEmpty else { return nil }
        return s
    }

    /// The newest stored state.
    public var latest: MatchState? { state(at: latestTick) }
}
