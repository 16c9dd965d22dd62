import Foundation
import KKPostgres
import KKResultsCore
import Logging
import PostgresNIO

/// Race results in PostgreSQL (schema `results`). Recording is one transaction and idempotent:
/// a result whose match is recorded already changes nothing (its first report wins).
public struct ResultsStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(5)) {
        self.client = client; self.logger = logger; self.deadline = deadline
    }

    /// Records a result with its verification; false when the match was recorded before.
    public func record(_ r: RaceResult, verified: VerificationFailure?, streamId: String) async throws(PostgresStoreError) -> Bool {
        try await PostgresDeadline.run(deadline) { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> Bool in
                let ok = verified == nil
                let reason = verified.map { "\($0.label): \($0)" }
                let mid = Int64(bitPattern: r.matchId), epoch = Int64(bitPattern: r.epoch)
                let laps = Int(r.laps), ticks = Int(r.ticks)
                var inserted = false
                for try await _ in try await conn.query("""
                    INSERT INTO results.matches (match_id, epoch, shard, track, laps, ticks, verified, unverified_reason, input_log, stream_id)
                    VALUES (\(mid), \(epoch), \(r.shardId), \(r.track), \(laps), \(ticks), \(ok), \(reason), \(r.log), \(streamId))
                    ON CONFLICT (match_id) DO NOTHING RETURNING match_id
                    """, logger: logger).decode(Int64.self) { inserted = true }
                guard inserted else { return false }
                for e in r.entries {
                    let pid = e.playerId.map { Int64(bitPattern: $0) }
                    let tick = Int(e.finishTick)
                    try await conn.query("""
                        INSERT INTO results.entries (match_id, slot, player_id, place, finish_tick, status)
                        VALUES (\(mid), \(e.slot), \(pid), \(e.place), \(tick), \(e.status))
                        """, logger: logger)
                }
                return true
            }
        }
    }

    /// A recorded result: the match and its entries.
    public struct Recorded: Codable, Sendable, Equatable {
        public struct Entry: Codable, Sendable, Equatable {
            public var slot: Int
            public var playerId: Int64?
            public var place: Int?
            public var finishTick: Int
            public var status: String
        }
        public var matchId: Int64
        public var epoch: Int64
        public var track: String
        public var laps: Int
        public var ticks: Int
        public var verified: Bool
        public var unverifiedReason: String?
        public var entries: [Entry]
    }

    public func result(matchId: Int64) async throws(PostgresStoreError) -> Recorded? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> Recorded? in
            var out: Recorded?
            for try await (mid, epoch, track, laps, ticks, verified, reason) in try await client.query("""
                SELECT match_id, epoch, track, laps, ticks, verified, unverified_reason FROM results.matches WHERE match_id = \(matchId)
                """, logger: logger).decode((Int64, Int64, String, Int, Int, Bool, String?).self) {
                out = Recorded(matchId: mid, epoch: epoch, track: track, laps: laps, ticks: ticks, verified: verified, unverifiedReason: reason,
                               entries: [])
            }
            guard var r = out else { return nil }
            for try await (slot, pid, place, tick, status) in try await client.query("""
                SELECT slot, player_id, place, finish_tick, status FROM results.entries WHERE match_id = \(matchId) ORDER BY slot
                """, logger: logger).decode((Int, Int64?, Int?, Int, String).self) {
                r.entries.append(.init(slot: slot, playerId: pid, place: place, finishTick: tick, status: status))
            }
            return r
        }
    }

    /// The race's input log (a ghost: replay it with the same physics).
    public func inputLog(matchId: Int64) async throws(PostgresStoreError) -> String? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> String? in
            for try await log in try await client.query("SELECT input_log FROM results.matches WHERE match_id = \(matchId)",
                                                         logger: logger).decode(String?.self) { return log }
            return nil
        }
    }
}
