import CoreMetrics
import NIOConcurrencyHelpers

/// The lobby's swift-metrics handles, made on first use (thread-safe).
final class LobbyMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = NIOLockedValueBox<[String: Counter]>([:])
    let sockets: Gauge
    let relaySockets: Gauge
    let timeToMatch: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        sockets = Gauge(label: "kk_lobby_sockets", factory: factory)
        relaySockets = Gauge(label: "kk_lobby_relay_sockets", factory: factory)
        timeToMatch = CoreMetrics.Timer(label: "kk_lobby_time_to_match_seconds", factory: factory)
    }

    /// `kk_lobby_<name>_total{label=value}`.
    func count(_ name: String, _ label: String = "result", _ value: String = "") {
        let key = name + "|" + value
        let c = counters.withLockedValue { d -> Counter in
            if let c = d[key] { return c }
            let c = Counter(label: "kk_lobby_\(name)_total", dimensions: value.isEmpty ? [] : [(label, value)], factory: factory)
            d[key] = c
            return c
        }
        c.increment()
    }
}
