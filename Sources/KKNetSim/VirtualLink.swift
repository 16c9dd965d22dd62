import KKPhysics

/// Impairment of one direction of a link, in virtual time.
public struct LinkConditions: Equatable, Sendable {
    /// Base one-way delay, microseconds.
    public var latencyMicros: Int64
    /// Each packet gets an extra uniform 0...jitter delay, microseconds.
    public var jitterMicros: Int64
    /// Probability a packet is dropped (0...1).
    public var loss: Double
    /// Probability a packet is additionally held back by `reorderMicros` (reordering).
    public var reorder: Double
    public var reorderMicros: Int64
    /// Probability a packet is delivered twice (the copy gets its own delay).
    public var duplicate: Double

    public init(latencyMs: Int64 = 0, jitterMs: Int64 = 0, loss: Double = 0, reorder: Double = 0,
                reorderMs: Int64 = 0, duplicate: Double = 0) {
        latencyMicros = latencyMs * 1000
        jitterMicros = jitterMs * 1000
        self.loss = loss
        self.reorder = reorder
        reorderMicros = reorderMs * 1000
        self.duplicate = duplicate
    }

    /// A perfect link.
    public static let perfect = LinkConditions()

    /// Largest delay a packet can get (latency + jitter + reordering).
    public var maxDelayMicros: Int64 { latencyMicros + jitterMicros + (reorder > 0 ? reorderMicros : 0) }
}

/// One direction of a simulated network: a queue of packets ordered by delivery time
/// (ties by send order), with seeded loss, jitter, reordering and duplication.
public struct VirtualLink<Payload: Sendable>: Sendable {
    struct Entry: Sendable { var due: Int64; var seq: UInt64; var destination: Int; var payload: Payload }

    public var conditions: LinkConditions
    private var rng: SplitMix64
    private var queue: [Entry] = []
    private var seq: UInt64 = 0
    public private(set) var sent = 0
    public private(set) var dropped = 0
    public private(set) var duplicated = 0

    public init(conditions: LinkConditions, seed: UInt64) {
        self.conditions = conditions
        rng = SplitMix64(seed: seed)
    }

    private mutating func chance(_ p: Double) -> Bool {
        p > 0 && Double(rng.next() >> 11) / Double(1 << 53) < p
    }

    private mutating func delay() -> Int64 {
        var d = conditions.latencyMicros
        if conditions.jitterMicros > 0 { d += Int64(rng.below(UInt64(conditions.jitterMicros) + 1)) }
        if chance(conditions.reorder) { d += conditions.reorderMicros }
        return d
    }

    /// Sends `payload` to `destination` at time `now`.
    public mutating func send(_ payload: Payload, to destination: Int, now: Int64) {
        sent += 1
        if chance(conditions.loss) { dropped += 1; return }
        enqueue(Entry(due: now + delay(), seq: seq, destination: destination, payload: payload))
        seq += 1
        if chance(conditions.duplicate) {
            duplicated += 1
            enqueue(Entry(due: now + delay(), seq: seq, destination: destination, payload: payload))
            seq += 1
        }
    }

    private mutating func enqueue(_ e: Entry) {
        var lo = 0, hi = queue.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let m = queue[mid]
            if m.due < e.due || (m.due == e.due && m.seq < e.seq) { lo = mid + 1 } else { hi = mid }
        }
        queue.insert(e, at: lo)
    }

    /// Removes and returns, in delivery order, every packet due at or before `now`.
    public mutating func deliver(until now: Int64, into out: inout [(destination: Int, payload: Payload)]) {
        out.removeAll(keepingCapacity: true)
        var n = 0
        while n < queue.count && queue[n].due <= now { n += 1 }
        for i in 0..<n { out.append((queue[i].destination, queue[i].payload)) }
        queue.removeFirst(n)
    }

    public var inFlight: Int { queue.count }
}
