import Histogram

/// An HdrHistogram of non-negative integer values (microseconds, millimetres...) that
/// merges losslessly and encodes compactly as `[value, count]` pairs of its non-empty buckets.
/// Three significant digits; grows as values arrive (autoResize). The full histogram (about
/// 140 kB of counts) exists only once a value arrived, and ``compact()`` folds a finished one
/// into its non-empty buckets (a long run keeps one per 5-second step and per second with stalls).
public struct LatencyHistogram: Sendable, Equatable, Codable {
    /// nil while empty or compacted.
    private var full: Histogram<UInt64>?
    /// A compacted histogram's non-empty buckets, [value, count] (when `full` is nil).
    private var packed: [[UInt64]] = []

    public init() {}

    private static func makeFull() -> Histogram<UInt64> {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        h.autoResize = true
        return h
    }

    /// The full histogram (built again from the buckets when compacted).
    private var expanded: Histogram<UInt64> {
        if let full { return full }
        var h = Self.makeFull()
        for p in packed { h.record(p[0], count: p[1]) }
        return h
    }

    private mutating func unpack() {
        guard full == nil else { return }
        full = expanded
        packed = []
    }

    public var count: UInt64 { full?.totalCount ?? packed.reduce(0) { $0 + $1[1] } }
    public var isEmpty: Bool { count == 0 }

    public mutating func record(_ value: UInt64) { unpack(); full!.record(value) }
    public mutating func record(_ value: UInt64, count: UInt64) { unpack(); full!.record(value, count: count) }

    /// Adds every count of `other` (bucket layouts always match: same construction).
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        unpack()
        full!.add(other.expanded)
    }

    public mutating func reset() { packed = []; if !isEmpty { full?.reset() } }

    /// Keeps only the non-empty buckets (same figures; recording or merging expands it again).
    public mutating func compact() {
        guard let full else { return }
        packed = Self.pairs(full)
        self.full = nil
    }

    private static func pairs(_ h: Histogram<UInt64>) -> [[UInt64]] {
        guard h.totalCount > 0 else { return [] }
        return h.recordedValues().map { [$0.value, $0.countAddedInThisIterationStep] }
    }

    /// The value at `percentile` (0...100); 0 when empty.
    public func value(at percentile: Double) -> UInt64 { isEmpty ? 0 : expanded.valueAtPercentile(percentile) }
    public var max: UInt64 { isEmpty ? 0 : expanded.max }
    public var mean: Double { isEmpty ? 0 : expanded.mean }

    /// p50/p90/p99/p99.9/max/mean/count, scaled by `1/divisor` (e.g. 1000 for µs -> ms).
    public func summary(divisor: Double = 1) -> HistogramSummary {
        let h = expanded, n = count
        func at(_ p: Double) -> Double { n == 0 ? 0 : Double(h.valueAtPercentile(p)) / divisor }
        return HistogramSummary(count: Int(n), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9),
                                max: n == 0 ? 0 : Double(h.max) / divisor, mean: n == 0 ? 0 : h.mean / divisor)
    }

    // Compact coding: {"pairs": [[value, count], ...]}.
    enum CodingKeys: String, CodingKey { case pairs }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        for pair in try c.decode([[UInt64]].self, forKey: .pairs) {
            guard pair.count == 2 else { throw DecodingError.dataCorruptedError(forKey: .pairs, in: c, debugDescription: "pair of 2 expected") }
            record(pair[0], count: pair[1])
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(full.map(Self.pairs) ?? packed, forKey: .pairs)
    }

    /// Same count, same percentiles, equivalent max (a decoded histogram keeps bucket values, not raw ones).
    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        let ha = a.expanded, hb = b.expanded
        return ha.valuesAreEquivalent(ha.max, hb.max)
            && [50.0, 90, 99, 99.9].allSatisfy { ha.valuesAreEquivalent(ha.valueAtPercentile($0), hb.valueAtPercentile($0)) }
    }
}

/// Percentiles of a histogram in report units.
public struct HistogramSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public var mean: Double
}
