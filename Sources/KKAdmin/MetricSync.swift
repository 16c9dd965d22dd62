import CoreMetrics
import Prometheus

/// Publishes a loop thread's plain counters to swift-metrics handles about once per second, so
/// the hot path only bumps integers (no locks, no atomics) and /metrics stays current.
///
/// Names follow the Prometheus conventions: a `kk_<process>_` prefix, `_total` for counters,
/// `_seconds` for durations, one metric with a `reason` label per family of drops.
public final class MetricSync {
    public let factory: any MetricsFactory
    private var counters: [String: (CoreMetrics.Counter, Int)] = [:]
    private var gauges: [String: CoreMetrics.Gauge] = [:]

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Makes a Prometheus-backed factory over `registry` with sub-millisecond duration buckets.
    public static func prometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var f = PrometheusMetricsFactory(registry: registry)
        f.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .milliseconds(2), .milliseconds(4), .milliseconds(8), .milliseconds(16), .milliseconds(33),
            .milliseconds(100), .milliseconds(500),
        ]
        return f
    }

    private static func key(_ label: String, _ dims: [(String, String)]) -> String {
        dims.isEmpty ? label : label + "{" + dims.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Brings counter `label` up to `total` (counters only grow; a smaller total is ignored).
    public func count(_ label: String, _ dims: [(String, String)] = [], total: Int) {
        let k = Self.key(label, dims)
        if counters[k] == nil { counters[k] = (CoreMetrics.Counter(label: label, dimensions: dims, factory: factory), 0) }
        let (c, last) = counters[k]!
        if total > last {
            c.increment(by: total - last)
            counters[k] = (c, total)
        }
    }

    /// Sets gauge `label`.
    public func gauge(_ label: String, _ dims: [(String, String)] = [], value: Double) {
        let k = Self.key(label, dims)
        if gauges[k] == nil { gauges[k] = CoreMetrics.Gauge(label: label, dimensions: dims, factory: factory) }
        gauges[k]!.record(value)
    }

    /// A duration histogram handle (create once, record on the loop thread).
    public func timer(_ label: String, _ dims: [(String, String)] = []) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: dims, factory: factory)
    }
}
