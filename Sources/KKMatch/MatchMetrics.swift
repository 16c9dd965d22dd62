import Foundation
import CoreMetrics

/// The match service's swift-metrics handles (thread-safe; created once, used from request tasks).
final class MatchMetrics: Sendable {
    static let results = ["ok", "no_shard", "redis_unavailable", "overloaded", "shutting_down", "bad_request",
                          "unauthorized", "unexpected_reply", "token_failure", "party_busy", "ticket_used"]
    private let requests: [String: Counter]
    let allocationLatency: CoreMetrics.Timer

    init(factory: any MetricsFactory) {
        var r: [String: Counter] = [:]
        for result in Self.results {
            r[result] = Counter(label: "kk_match_requests_total", dimensions: [("result", result)], factory: factory)
        }
        requests = r
        allocationLatency = CoreMetrics.Timer(label: "kk_match_allocation_seconds", factory: factory)
    }

    func count(_ result: String) { requests[result]?.increment() }
}
