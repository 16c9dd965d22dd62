import KKPhysics

/// The last authoritative states of one match, kept so each client's frame can be
/// delta-encoded against the frame that client acknowledged. A bounded ring.
public struct FrameCache: Sendable {
    public static let depth = 32
    private var ticks = [UInt32](repeating: 0, count: depth)
    private var states = [MatchState?](repeating: nil, count: depth)
    public private(set) var latestTick: UInt32 = 0
    public private(set) var latest: MatchState?

    public init() {}

    public mutating func store(_ state: MatchState) {
        let i = Int(state.tick % UInt32(Self.depth))
        ticks[i] = state.tick
        states[i] = state
        latestTick = state.tick
        latest = state
    }

    /// The state at `tick`, if still cached.
    public func state(at tick: UInt32) -> MatchState? {
        let i = Int(tick % UInt32(Self.depth))
        guard ticks[i] == tick, let s = states[i], s.tick == tick else { return nil }
        return s
    }
}
