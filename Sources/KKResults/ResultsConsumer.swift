import CoreMetrics
import Foundation
import KKPostgres
import KKRedis
import KKResultsCore
import Logging
import Metrics
import NIOConcurrencyHelpers

/// Takes race results off the shards' stream (`<prefix>results`, consumer group `results`) into
/// PostgreSQL, exactly once per match:
/// - every entry is verified (``ResultVerifier``: re-simulation of its input log) and recorded
///   in one transaction keyed by match id (a duplicate or replayed entry changes nothing), and
///   acknowledged (XACK) only after the transaction committed;
/// - a consumer that dies between the two leaves the entry pending: it reads its own pending
///   entries first when it comes back (same `consumer` name), and any consumer claims entries
///   idle longer than `claimIdleMillis` (XAUTOCLAIM);
/// - PostgreSQL down: nothing is acknowledged; the consumer retries every second and records
///   everything once the database answers (entries wait in the stream meanwhile);
/// - an entry that is not a result, or names a match Redis does not know, is refused: counted,
///   acknowledged, not recorded.
public final class ResultsConsumer: Sendable {
    public struct Options: Sendable {
        public var prefix = "kk:"
        public var consumer: String
        public var claimIdleMillis: Int64 = 30_000
        public var batch = 32
        /// Entries recorded at once (each its own transaction; rows they share are locked in one
        /// order, so they wait for each other rather than deadlock).
        public var concurrency = 4
        /// Test fault point (`KK_FAULTS=results-die-after-commit`): the process dies (exit 70)
        /// after a result's transaction committed and before the entry is acknowledged.
        public var dieAfterCommit = false
        public init(consumer: String) { self.consumer = consumer }
    }

    let redis: RedisCommandBridge
    let store: ResultsStore
    let options: Options
    let verifier: ResultVerifier
    let logger: Logger
    private let counters: [String: Counter]
    let verifyTimer: CoreMetrics.Timer
    /// Outcomes so far (tests, status).
    private let totals = NIOLockedValueBox<[String: Int]>([:])

    static let outcomes = ["recorded_verified", "recorded_unverified", "duplicate", "malformed", "unknown_match", "store_failed", "rejected"]

    public init(redis: RedisCommandBridge, store: ResultsStore, options: Options, verifier: ResultVerifier = ResultVerifier(),
                metricsFactory: any MetricsFactory, logger: Logger) {
        self.redis = redis; self.store = store; self.options = options; self.verifier = verifier; self.logger = logger
        var c: [String: Counter] = [:]
        for o in Self.outcomes { c[o] = Counter(label: "kk_results_entries_total", dimensions: [("outcome", o)], factory: metricsFactory) }
        counters = c
        verifyTimer = CoreMetrics.Timer(label: "kk_results_verify_seconds", factory: metricsFactory)
    }

    var group: StreamGroup {
        StreamGroup(redis: redis, stream: options.prefix + "results", group: "results", consumer: options.consumer, batch: options.batch,
                    claimIdleMillis: options.claimIdleMillis)
    }

    public var outcomeTotals: [String: Int] { totals.withLockedValue { $0 } }

    func count(_ outcome: String) {
        counters[outcome]?.increment()
        totals.withLockedValue { $0[outcome, default: 0] += 1 }
    }

    /// Runs until cancelled.
    public func run() async {
        let group = self.group
        await group.ensureGroup()
        while !Task.isCancelled {
            let entries = await group.next(blockMillis: 1000)
            var stalled = false
            var i = 0
            while i < entries.count && !stalled {
                let chunk = entries[i..<min(i + max(1, options.concurrency), entries.count)]
                i += chunk.count
                stalled = await withTaskGroup(of: Bool.self) { tasks in
                    for e in chunk { tasks.addTask { await self.handle(e) } }
                    return await tasks.reduce(false) { $0 || !$1 }
                }
            }
            if stalled { try? await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Handles one entry; false when it must be retried later (the store failed).
    func handle(_ e: StreamGroup.Entry) async -> Bool {
        guard let json = e.fields["result"], let r = try? JSONDecoder().decode(RaceResult.self, from: Data(json.utf8)), r.matchId > 0,
              Set(r.entries.compactMap(\.playerId)).count == r.entries.compactMap(\.playerId).count,
              Set(r.entries.map(\.slot)).count == r.entries.count else {
            count("malformed")
            logger.warning("results: entry \(e.id) is not a race result (or names a player or slot twice); dropped")
            await ack(e.id)
            return true
        }
        let known = await redis.command(["EXISTS", .string(options.prefix + "match:\(r.matchId)")])
        if case .failed = known { return false }
        guard known == .integer(1) else {
            count("unknown_match")
            logger.warning("results: entry \(e.id) names match \(r.matchId), which Redis does not know; dropped")
            await ack(e.id)
            return true
        }
        let start = ContinuousClock.now
        let check = verifier.check(r)
        let failure = check.failure
        verifyTimer.record(duration: ContinuousClock.now - start)
        do throws(PostgresStoreError) {
            switch try await store.record(r, verified: failure, bestLaps: check.bestLaps, streamId: e.id) {
            case .duplicate: count("duplicate")
            case .recorded(let ratings):
                count(failure == nil ? "recorded_verified" : "recorded_unverified")
                if let failure { logger.warning("results: match \(r.matchId) recorded unverified: \(failure)") }
                await publishRatings(ratings)
            }
            if options.dieAfterCommit {
                logger.critical("fault point results-die-after-commit: dying before entry \(e.id) is acknowledged")
                _exit(70)
            }
        } catch {
            if case .rejected = error {
                // The data itself is refused (it always will be): counted and dropped, so it does
                // not hold up the stream.
                count("rejected")
                logger.error("results: match \(r.matchId) refused by the database; dropped: \(error)")
                await ack(e.id)
                return true
            }
            count("store_failed")
            logger.warning("results: match \(r.matchId) not recorded yet (kept in the stream): \(error)")
            return false
        }
        await ack(e.id)
        return true
    }

    /// The lobby's matchmaking rating of each racer (`<prefix>rating:<pid>`): 1500 + 50 x the
    /// skill's ordinal (a new player is 1500). Best effort: the database holds the truth.
    func publishRatings(_ ratings: [Int64: SkillRating]) async {
        guard !ratings.isEmpty else { return }
        var args: [RedisArg] = ["MSET"]
        for (p, skill) in ratings.sorted(by: { $0.key < $1.key }) {
            args += [.string(options.prefix + "rating:\(UInt64(bitPattern: p))"), .string(String(Int((1500 + 50 * skill.ordinal).rounded())))]
        }
        _ = await redis.command(args)
    }

    func ack(_ id: String) async { await group.ack([id]) }
}
