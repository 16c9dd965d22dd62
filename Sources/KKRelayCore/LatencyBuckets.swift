/// A fixed-bucket latency histogram bumped on the loop thread (no allocation, no lock) and
/// published once a second as a Prometheus histogram (`_bucket{le}`, `_count`, `_sum`).
public struct LatencyBuckets: Sendable, Equatable {
    /// Upper bounds in milliseconds; one more bucket (+Inf) follows the last.
    public static let boundsMillis: [UInt64] = [5, 10, 20, 33, 50, 75, 100, 150, 200, 300, 500, 1000]
    /// The `le` label of each bucket, in seconds, +Inf last.
    public static let labels: [String] = ["0.005", "0.01", "0.02", "0.033", "0.05", "0.075", "0.1", "0.15", "0.2", "0.3", "0.5", "1", "+Inf"]

    /// Samples per bucket (not cumulative).
    public private(set) var counts = [Int](repeating: 0, count: LatencyBuckets.boundsMillis.count + 1)
    public private(set) var count = 0
    public private(set) var sumMillis: UInt64 = 0

    public init() {}

    public mutating func record(millis: UInt64) {
        var i = 0
        while i < Self.boundsMillis.count && millis > Self.boundsMillis[i] { i += 1 }
        counts[i] += 1
        count += 1
        sumMillis &+= millis
    }

    /// Samples at or under each bound (Prometheus' cumulative `le` buckets), +Inf last.
    public var cumulative: [Int] {
        var total = 0
        return counts.map { total += $0; return total }
    }
}
