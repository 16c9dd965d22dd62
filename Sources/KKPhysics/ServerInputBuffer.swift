/// Server-side per-player input queue keyed by tick, implementing the missing-input policy.
///
/// **Missing-input policy.** When the server steps tick T and a player's input for T has
/// not arrived, it *repeats that player's last applied input* (`KartState.lastInput`).
/// After `maxRepeatTicks` consecutive missing ticks (default 30 = 0.5 s) it substitutes
/// neutral input instead, so a disconnected player coasts to a stop and is eventually
/// retired by the idle timeout. Inputs arriving for a tick already stepped are dropped
/// (counted as late). Clients predict remote karts with the same "repeat last" rule.
public struct ServerInputBuffer: Sendable {
    public enum Insert: Equatable, Sendable { case accepted, duplicate, late, tooEarly }

    public let capacity: Int
    public let maxRepeatTicks: Int
    /// The next tick the server will step.
    public private(set) var nextTick: UInt32
    private var slots: [UInt32]     // tick + 1 stored per (player, tick % capacity); 0 = empty
    private var values: [KartInput]
    private var misses: [Int]
    private let players: Int
    /// Inputs dropped because their tick had already been stepped (includes the
    /// redundant copies clients resend on purpose).
    public private(set) var lateCount = 0
    /// Player-ticks stepped with a substituted (repeated or neutral) input.
    public private(set) var missingCount = 0

    public init(players: Int, startTick: UInt32, capacity: Int = 256, maxRepeatTicks: Int = 30) {
        self.players = players
        self.capacity = capacity
        self.maxRepeatTicks = maxRepeatTicks
        self.nextTick = startTick
        slots = [UInt32](repeating: 0, count: players * capacity)
        values = [KartInput](repeating: .neutral, count: players * capacity)
        misses = [Int](repeating: 0, count: players)
    }

    /// Stores `input` of `player` for `tick`.
    @discardableResult
    public mutating func insert(player: Int, tick: UInt32, input: KartInput) -> Insert {
        guard player >= 0 && player < players else { return .tooEarly }
        if tick < nextTick { lateCount += 1; return .late }
        if UInt64(tick) >= UInt64(nextTick) + UInt64(capacity) { return .tooEarly }
        let idx = player * capacity + Int(tick % UInt32(capacity))
        if slots[idx] == tick &+ 1 { return .duplicate }
        slots[idx] = tick &+ 1
        values[idx] = input
        return .accepted
    }

    /// True if `player`'s input for `tick` is present.
    public func has(player: Int, tick: UInt32) -> Bool {
        slots[player * capacity + Int(tick % UInt32(capacity))] == tick &+ 1
    }

    /// Fills `out` (resized to the player count) with the inputs for `nextTick`, applying
    /// the missing-input policy against `state`, then advances `nextTick`.
    /// Returns the number of substituted inputs.
    @discardableResult
    public mutating func take(for state: MatchState, into out: inout [KartInput]) -> Int {
        if out.count != players { out = [KartInput](repeating: .neutral, count: players) }
        let tick = nextTick
        var missing = 0
        for p in 0..<players {
            let idx = p * capacity + Int(tick % UInt32(capacity))
            if slots[idx] == tick &+ 1 {
                out[p] = values[idx]
                misses[p] = 0
            } else {
                missing += 1
                misses[p] += 1
                let last = p < state.karts.count ? state.karts[p].lastInput : .neutral
                out[p] = misses[p] > maxRepeatTicks ? .neutral : last
            }
            slots[idx] = 0
        }
        missingCount += missing
        nextTick &+= 1
        return missing
    }
}
