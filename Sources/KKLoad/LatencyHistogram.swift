import Histogram

/// An HdrHistogram of non-negative integer values (microseconds, millimetres...) that
/// merges losslessly and encodes compactly as `[value, count]` pairs of its non-empty buckets.
/// Three significant digits; grows as values arrive (autoResize).
public struct LatencyHistogram: Sendable, Equatable, Codable {
    public private(set) var histogram: Histogram<UInt64>

    public init() {
        var h = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        h.autoResize = true
        histogram = h
    }

    public var count: UInt64 { histogram.totalCount }
    public var isEmpty: Bool { histogram.totalCount == 0 }

    public mutating func record(_ value: UInt64) { histogram.record(value) }
    public mutating func record(_ value: UInt64, count: UInt64) { histogram.record(value, count: count) }

    /// Adds every count of `other` (bucket layouts always match: same construction).
    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        histogram.add(other.histogram)
    }

    public mutating func reset() { if !isEmpty { histogram.reset() } }

    /// The value at `percentile` (0...100); 0 when empty.
    public func value(at percentile: Double) -> UInt64 { isEmpty ? 0 : histogram.valueAtPercentile(percentile) }
    public var max: UInt64 { isEmpty ? 0 : histogram.max }
    public var mean: Double { isEmpty ? 0 : histogram.mean }

    /// p50/p90/p99/p99.9/max/mean/count, scaled by `1/divisor` (e.g. 1000 for µs -> ms).
    public func summary(divisor: Double = 1) -> HistogramSummary {
        HistogramSummary(count: Int(count), p50: Double(value(at: 50)) / divisor, p90: Double(value(at: 90)) / divisor,
                         p99: Double(value(at: 99)) / divisor, p999: Double(value(at: 99.9)) / divisor,
                         max: Double(max) / divisor, mean: mean / divisor)
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
        var pairs: [[UInt64]] = []
        if !isEmpty {
            for v in histogram.recordedValues() { pairs.append([v.value, v.countAddedInThisIterationStep]) }
        }
        try c.encode(pairs, forKey: .pairs)
    }

    /// Same count, same percentiles, equivalent max (a decoded histogram keeps bucket values, not raw ones).
    public static func == (a: LatencyHistogram, b: LatencyHistogram) -> Bool {
        a.count == b.count && a.histogram.valuesAreEquivalent(a.max, b.max) && [50.0, 90, 99, 99.9].allSatisfy { a.histogram.valuesAreEquivalent(a.value(at: $0), b.value(at: $0)) }
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
