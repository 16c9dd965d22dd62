/// Compares per-tick state hashes from two sides (e.g. shard and client, or two replays)
/// and reports the first tick on which they differ.
public struct DesyncDetector: Sendable {
    public enum Verdict: Equatable, Sendable {
        case match
        case mismatch(tick: UInt32, local: UInt64, remote: UInt64)
        /// The local hash for that tick is not (or no longer) in the window.
        case unknown
    }

    private var ticks: [UInt32]
    private var hashes: [UInt64]
    private var filled: [Bool]
    /// First tick found to differ, if any.
    public private(set) var firstDesyncTick: UInt32?
    public private(set) var comparisons = 0
    public private(set) var mismatches = 0

    /// Keeps the last `capacity` local hashes.
    public init(capacity: Int = 256) {
        let c = max(capacity, 1)
        ticks = [UInt32](repeating: 0, count: c)
        hashes = [UInt64](repeating: 0, count: c)
        filled = [Bool](repeating: false, count: c)
    }

    public mutating func recordLocal(tick: UInt32, hash: UInt64) {
        let i = Int(tick % UInt32(ticks.count))
        ticks[i] = tick; hashes[i] = hash; filled[i] = true
    }

    @discardableResult
    public mutating func checkRemote(tick: UInt32, hash: UInt64) -> Verdict {
        let i = Int(tick % UInt32(ticks.count))
        guard filled[i] && ticks[i] == tick else { return .unknown }
        comparisons += 1
        if hashes[i] == hash { return .match }
        mismatches += 1
        if firstDesyncTick == nil || tick < firstDesyncTick! { firstDesyncTick = tick }
        return .mismatch(tick: tick, local: hashes[i], remote: hash)
    }
}
