import KKWire

/// One input delivered in sequence order by an ``InputReorderBuffer``.
public struct OrderedInput: Equatable, Sendable {
    public var seq: UInt32
    public var tick: UInt32
    public var input: InputSample

    @inlinable
    public init(seq: UInt32, tick: UInt32, input: InputSample) {
        self.seq = seq
        self.tick = tick
        self.input = input
    }
}

/// What a reorder buffer did with one packet (counted by the caller).
public struct ReorderStats: Equatable, Sendable {
    /// Inputs handed on in order.
    public var delivered = 0
    /// Inputs already delivered or already buffered (redundant copies).
    public var duplicates = 0
    /// Inputs given up on: the window moved past them before any copy arrived.
    public var skipped = 0
    /// Inputs too far ahead of the window to hold (from a misbehaving client).
    public var tooFarAhead = 0

    public init() {}
}

/// Per-player input reordering: packets carry the newest input and redundant older ones, and
/// arrive in any order; the buffer hands on each input sequence exactly once, in order.
///
/// - Duplicates (redundant copies, replays) are dropped and counted.
/// - A gap is filled from the redundancy of later packets; it is given up (``ReorderStats/skipped``)
///   only when an input `window` ahead of it arrives, i.e. after more inputs than one packet
///   can carry were all lost. The shard then repeats the player's last input for those ticks.
/// - Sequence numbers wrap at 2^32.
/// Storage is a fixed ring; no allocation per packet.
public struct InputReorderBuffer: Sendable {
    /// Inputs held waiting for a gap (a power of two, at least 2x the inputs per packet).
    public static let window = 64

    /// The next sequence to deliver.
    public private(set) var nextSeq: UInt32
    var slots = InlineArray<64, OrderedInput>(repeating: OrderedInput(seq: 0, tick: 0, input: .neutral))
    var filled = InlineArray<64, Bool>(repeating: false)

    /// A buffer whose first delivered input will be `startSeq`.
    public init(startSeq: UInt32) { self.nextSeq = startSeq }

    /// Moves the start (e.g. on resume: the shard's last applied sequence + 1); drops what is held before it.
    public mutating func reset(startSeq: UInt32) {
        nextSeq = startSeq
        for i in 0..<Self.window { filled[i] = false }
    }

    /// Takes one input packet and calls `deliver` for every input that became deliverable, in order.
    public mutating func receive(_ packet: InputPacket, deliver: (OrderedInput) -> Void) -> ReorderStats {
        var stats = ReorderStats()
        let w = Int32(Self.window)
        // Oldest first, so a packet that jumps the window delivers in order.
        var i = packet.count - 1
        while i >= 0 {
            let seq = packet.seq &- UInt32(i)
            let tick = packet.tick &- UInt32(i)
            let d = Serial.distance(seq, from: nextSeq)
            if d < 0 {
                stats.duplicates += 1
            } else {
                if d >= w {
                    // Too far ahead: move the window so `seq` is its last slot, giving up the oldest.
                    if d >= 4 * w {
                        stats.tooFarAhead += 1
                        i -= 1
                        continue
                    }
                    advance(to: seq &- UInt32(w - 1), stats: &stats, deliver: deliver)
                }
                let slot = Int(seq & UInt32(Self.window - 1))
                if filled[slot] && slots[slot].seq == seq {
                    stats.duplicates += 1
                } else {
                    slots[slot] = OrderedInput(seq: seq, tick: tick, input: packet.inputs[i])
                    filled[slot] = true
                }
            }
            i -= 1
        }
        drain(stats: &stats, deliver: deliver)
        return stats
    }

    /// Delivers the contiguous run starting at `nextSeq`.
    mutating func drain(stats: inout ReorderStats, deliver: (OrderedInput) -> Void) {
        while true {
            let slot = Int(nextSeq & UInt32(Self.window - 1))
            guard filled[slot], slots[slot].seq == nextSeq else { return }
            filled[slot] = false
            deliver(slots[slot])
            stats.delivered += 1
            nextSeq &+= 1
        }
    }

    /// Gives up every input before `target` at once (held ones too) and returns how many: a
    /// resumed client no longer holds inputs older than its redundancy window, so waiting for
    /// them would only hold back the newer ones until the window moved past the gap.
    @discardableResult
    public mutating func giveUp(before target: UInt32) -> Int {
        guard Serial.isNewer(target, than: nextSeq) else { return 0 }
        let distance = Int(target &- nextSeq)
        if distance >= Self.window {
            for i in 0..<Self.window { filled[i] = false }
        } else {
            var seq = nextSeq
            for _ in 0..<distance {
                let slot = Int(seq & UInt32(Self.window - 1))
                if slots[slot].seq == seq { filled[slot] = false }
                seq &+= 1
            }
        }
        nextSeq = target
        return distance
    }

    /// Moves `nextSeq` forward to `target`, delivering held inputs and skipping missing ones.
    mutating func advance(to target: UInt32, stats: inout ReorderStats, deliver: (OrderedInput) -> Void) {
        while Serial.isNewer(target, than: nextSeq) {
            let slot = Int(nextSeq & UInt32(Self.window - 1))
            if filled[slot], slots[slot].seq == nextSeq {
                filled[slot] = false
                deliver(slots[slot])
                stats.delivered += 1
            } else {
                stats.skipped += 1
            }
            nextSeq &+= 1
        }
    }
}
