import CoreMetrics
import Foundation
import KKPostgres
import KKRedis
import KKResultsCore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Takes the shards' per-match network figures off `<prefix>telemetry` (consumer group
/// `telemetry`) into PostgreSQL in batches: up to `batch` entries per COPY, acknowledged once
/// the transaction committed (a batch copied twice adds nothing: the rows' key holds the
/// entry's time). PostgreSQL down: nothing acknowledged, retried every second. An entry that is
/// not telemetry is counted and acknowledged.
public final class TelemetryConsumer: Sendable {
    public struct Options: Sendable {
        public var prefix = "kk:"
        public var consumer: String
        public var claimIdleMillis: Int64 = 30_000
        public var batch = 256
        public init(consumer: String) { self.consumer = consumer }
    }

    let group: StreamGroup
    let store: TelemetryStore
    let logger: Logger
    private let entries: [String: Counter]
    private let rowsCounter: Counter
    private let totals = NIOLockedValueBox<[String: Int]>([:])

    public init(redis: RedisCommandBridge, store: TelemetryStore, options: Options, metricsFactory: any MetricsFactory, logger: Logger) {
        group = StreamGroup(redis: redis, stream: options.prefix + "telemetry", group: "telemetry", consumer: options.consumer,
                            batch: options.batch, claimIdleMillis: options.claimIdleMillis)
        self.store = store; self.logger = logger
        var c: [String: Counter] = [:]
        for o in ["copied", "malformed", "store_failed", "rejected"] {
            c[o] = Counter(label: "kk_results_telemetry_entries_total", dimensions: [("outcome", o)], factory: metricsFactory)
        }
        entries = c
        rowsCounter = Counter(label: "kk_results_telemetry_rows_total", factory: metricsFactory)
    }

    /// Entries by outcome and rows added so far ("rows").
    public var totalsByOutcome: [String: Int] { totals.withLockedValue { $0 } }

    func count(_ outcome: String, _ n: Int = 1) {
        guard n > 0 else { return }
        if outcome == "rows" { rowsCounter.increment(by: n) } else { entries[outcome]?.increment(by: n) }
        totals.withLockedValue { $0[outcome, default: 0] += n }
    }

    /// Runs until cancelled.
    public func run() async {
        await group.ensureGroup()
        while !Task.isCancelled {
            let batch = await group.next(blockMillis: 1000)
            guard !batch.isEmpty else { continue }
            if await !handle(batch) { try? await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Copies one batch; false when the store failed (nothing acknowledged).
    func handle(_ batch: [StreamGroup.Entry]) async -> Bool {
        var good: [TelemetryStore.Batch] = [], goodIds: [String] = [], bad: [String] = []
        for e in batch {
            guard let json = e.fields["telemetry"], let t = try? JSONDecoder().decode(MatchTelemetry.self, from: Data(json.utf8)),
                  TelemetryStore.fits(t), let ms = e.id.split(separator: "-").first.flatMap({ Int64($0) }) else {
                bad.append(e.id)
                continue
            }
            good.append(.init(atMillis: ms, telemetry: t))
            goodIds.append(e.id)
        }
        if !bad.isEmpty {
            count("malformed", bad.count)
            logger.warning("telemetry: \(bad.count) entries are not match telemetry; dropped")
            await group.ack(bad)
        }
        return await copy(good, ids: goodIds)
    }

    /// Copies entries and acknowledges them; data the database refuses is copied again entry by
    /// entry, the refused ones counted `rejected` and dropped (they would hold up the stream).
    func copy(_ good: [TelemetryStore.Batch], ids: [String]) async -> Bool {
        do throws(PostgresStoreError) {
            let added = try await store.copy(good)
            count("copied", good.count)
            count("rows", added)
        } catch {
            if case .rejected = error {
                if good.count > 1 {
                    for (b, id) in zip(good, ids) where await !copy([b], ids: [id]) { return false }
                    return true
                }
                count("rejected")
                logger.error("telemetry: entry \(ids.first ?? "?") refused by the database; dropped: \(error)")
                await group.ack(ids)
                return true
            }
            count("store_failed", good.count)
            logger.warning("telemetry: \(good.count) entries not copied yet (kept in the stream): \(error)")
            return false
        }
        await group.ack(ids)
        return true
    }
}

