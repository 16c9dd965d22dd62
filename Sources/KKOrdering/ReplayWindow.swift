/// Replay protection for packet sequence numbers, after netcode.io's replay buffer: remembers
/// the last 256 sequences seen; a packet is refused when it was seen already or is older than
/// the window. Sequences wrap at 2^32 (serial arithmetic, see ``Serial``). No allocation.
public struct ReplayWindow: Sendable {
    /// Entries in the window.
    public static let size = 256

    /// Why a sequence was refused.
    public enum Verdict: Equatable, Sendable {
        case fresh
        case duplicate
        case tooOld
    }

    @usableFromInline var newest: UInt32 = 0
    @usableFromInline var started = false
    /// `entries[seq % size]` holds the sequence stored there; `UInt64.max` when empty.
    @usableFromInline var entries = InlineArray<256, UInt64>(repeating: UInt64.max)

    public init() {}

    /// Classifies `seq` without recording it.
    @inlinable
    public func check(_ seq: UInt32) -> Verdict {
        guard started else { return .fresh }
        let d = Serial.distance(seq, from: newest)
        if d <= -Int32(Self.size) { return .tooOld }
        return entries[Int(seq % UInt32(Self.size))] == UInt64(seq) ? .duplicate : .fresh
    }

    /// Records `seq` if fresh; returns the verdict.
    @inlinable
    public mutating func accept(_ seq: UInt32) -> Verdict {
        let v = check(seq)
        guard v == .fresh else { return v }
        if !started || Serial.isNewer(seq, than: newest) {
            newest = seq
            started = true
        }
        entries[Int(seq % UInt32(Self.size))] = UInt64(seq)
        return .fresh
    }
}
