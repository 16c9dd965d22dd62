import KKWire

/// The total order of the relay-to-shard input stream ("Z-order"): by tick, then player id,
/// then sequence. Ticks and sequences compare with serial arithmetic, so the order holds
/// across 32-bit wrap-around for entries less than 2^31 apart.
public enum ZOrder {
    @inlinable
    public static func precedes(_ a: BatchedInput, _ b: BatchedInput) -> Bool {
        if a.tick != b.tick { return Serial.distance(a.tick, from: b.tick) < 0 }
        if a.playerId != b.playerId { return a.playerId < b.playerId }
        if a.seq != b.seq { return Serial.distance(a.seq, from: b.seq) < 0 }
        return a.matchId < b.matchId
    }
}

/// Merges the ordered input streams of many players into one Z-ordered stream per shard.
///
/// Players' inputs are pushed as the reorder buffers deliver them; ``pop()`` hands them out in
/// ``ZOrder``. A binary heap over storage reserved once: no allocation per input. When full,
/// ``push(_:)`` refuses (the caller counts the drop and should flush more often).
public struct ZOrderMerger: Sendable {
    @usableFromInline var heap: [BatchedInput]
    /// Most inputs held between flushes.
    public let capacity: Int

    public init(capacity: Int = Limits.maxBatchEntries * 4) {
        self.capacity = capacity
        heap = []
        heap.reserveCapacity(capacity)
    }

    /// Inputs waiting.
    @inlinable public var count: Int { heap.count }
    @inlinable public var isEmpty: Bool { heap.isEmpty }

    /// Adds one input; `false` when the merger is full.
    @inlinable
    public mutating func push(_ e: BatchedInput) -> Bool {
        guard heap.count < capacity else { return false }
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard ZOrder.precedes(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
        return true
    }

    /// The first input in Z-order, removed.
    @inlinable
    public mutating func pop() -> BatchedInput? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            let n = heap.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < n && ZOrder.precedes(heap[l], heap[m]) { m = l }
                if r < n && ZOrder.precedes(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
