import Foundation
import KKLoad
import Testing

/// LatencyHistogram: lossless merging and compact JSON round trips.
@Suite struct HistogramMergeTests {
    func samples(_ n: Int, seed: UInt64) -> [UInt64] {
        var r = SplitMix(seed: seed)
        return (0..<n).map { _ in 1_000 + r.next() % 200_000 }
    }

    @Test func mergedEqualsOneHistogramOfAllSamples() {
        let a = samples(5_000, seed: 1), b = samples(3_000, seed: 2)
        var ha = LatencyHistogram(), hb = LatencyHistogram(), all = LatencyHistogram()
        a.forEach { ha.record($0); all.record($0) }
        b.forEach { hb.record($0); all.record($0) }
        ha.merge(hb)
        #expect(ha.count == 8_000)
        for p in [50.0, 90, 99, 99.9, 100] { #expect(ha.value(at: p) == all.value(at: p)) }
        #expect(ha.max == all.max)
    }

    /// A compacted histogram (a finished step's, kept for the report) gives the same figures and
    /// JSON, and takes more values and merges as before.
    @Test func compactedKeepsItsFiguresAndTakesMore() throws {
        let a = samples(5_000, seed: 3), b = samples(2_000, seed: 4)
        var h = LatencyHistogram(), all = LatencyHistogram()
        a.forEach { h.record($0); all.record($0) }
        let json = try JSONEncoder().encode(h)
        h.compact()
        #expect(h == all && h.count == 5_000 && h.summary(divisor: 1000) == all.summary(divisor: 1000))
        #expect(try JSONEncoder().encode(h) == json)
        var other = LatencyHistogram()
        b.forEach { other.record($0); all.record($0) }
        other.compact()
        h.merge(other)
        h.record(7)
        all.record(7)
        // (The max is kept as its bucket's value, as in a decoded report: equivalent, not equal.)
        for p in [50.0, 90, 99, 99.9] { #expect(h.value(at: p) == all.value(at: p)) }
        #expect(h == all && h.count == 7_001)
        var empty = LatencyHistogram()
        empty.compact()
        #expect(empty.isEmpty && empty.value(at: 99) == 0 && empty == LatencyHistogram())
    }

    @Test func mergeGrowsForLargerValuesAndIgnoresEmpty() {
        var small = LatencyHistogram()
        small.record(10)
        var big = LatencyHistogram()
        big.record(500_000_000)  // beyond the initial 60 s: autoResize
        small.merge(big)
        small.merge(LatencyHistogram())
        #expect(small.count == 2)
        #expect(small.max >= 499_000_000)
    }

    @Test func jsonRoundTripKeepsPercentiles() throws {
        var h = LatencyHistogram()
        samples(10_000, seed: 3).forEach { h.record($0) }
        let data = try JSONEncoder().encode(h)
        let back = try JSONDecoder().decode(LatencyHistogram.self, from: data)
        #expect(back == h)
        #expect(back.count == 10_000)
        #expect(data.count < 200_000)
    }

    @Test func percentilesAreWithinThreeDigits() {
        var h = LatencyHistogram()
        for v in 1...1000 { h.record(UInt64(v) * 1000) }
        let p99 = Double(h.value(at: 99))
        #expect(abs(p99 - 990_000) / 990_000 < 0.002)
        #expect(h.summary(divisor: 1000).p50 > 499 && h.summary(divisor: 1000).p50 < 502)
    }
}
