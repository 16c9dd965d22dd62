import Foundation
import KKPostgres
import KKResultsCore
import Logging
import NIOCore
import PostgresNIO

/// The shards' per-match network figures in PostgreSQL (`results.telemetry`, partitioned by
/// month): copied in batches with COPY into a staging table, then inserted with the
/// partitions they need, a row that is there already (a batch copied again) skipped.
public struct TelemetryStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(10)) {
        self.client = client; self.logger = logger; self.deadline = deadline
    }

    /// One match's figures and when the shard published them (ms since 1970: the stream
    /// entry's time).
    public struct Batch: Sendable {
        public var atMillis: Int64
        public var telemetry: MatchTelemetry
        public init(atMillis: Int64, telemetry: MatchTelemetry) { self.atMillis = atMillis; self.telemetry = telemetry }
    }

    static let columns = ["at_ms", "match_id", "slot", "epoch", "shard", "track", "player_id", "ticks", "inputs_applied", "inputs_late",
                          "inputs_duplicate", "inputs_dropped", "ticks_missing", "rejoins", "margin_mean_ticks", "margin_min_ticks"]

    /// The COPY text form of the batches' rows (tab-separated, `\N` for null; text fields
    /// escaped as COPY's text format wants).
    static func copyText(_ batches: [Batch]) -> String {
        func text(_ s: String) -> String {
            var out = ""
            for c in s.unicodeScalars {
                switch c {
                case "\\": out += "\\\\"
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                default: out.unicodeScalars.append(c)
                }
            }
            return out
        }
        var out = ""
        for b in batches {
            let t = b.telemetry
            for p in t.players {
                let fields: [String] = [
                    "\(b.atMillis)", "\(Int64(bitPattern: t.matchId))", "\(p.slot)", "\(Int64(bitPattern: t.epoch))", text(t.shardId), text(t.track),
                    p.playerId.map { "\(Int64(bitPattern: $0))" } ?? "\\N", "\(t.ticks)", "\(p.applied)", "\(p.late)", "\(p.duplicate)",
                    "\(p.dropped)", "\(p.missing)", "\(p.rejoins)", p.marginMean.map { "\($0)" } ?? "\\N",
                    p.marginCount == 0 ? "\\N" : "\(p.marginMin)",
                ]
                out += fields.joined(separator: "\t") + "\n"
            }
        }
        return out
    }

    /// Whether every figure fits the table (counters and ticks in an `integer`, at most 64 karts,
    /// names of 1-64 characters without NUL): what does not is refused before it reaches COPY.
    public static func fits(_ t: MatchTelemetry) -> Bool {
        let limit = UInt32(Int32.max)
        func name(_ s: String) -> Bool { (1...64).contains(s.utf8.count) && !s.utf8.contains(0) }
        return t.matchId > 0 && t.players.count <= 64 && t.ticks <= limit && name(t.shardId) && name(t.track)
            && t.players.allSatisfy { p in
                (0..<64).contains(p.slot) && [p.applied, p.late, p.duplicate, p.dropped, p.missing, p.rejoins, p.marginCount].allSatisfy { $0 <= limit }
            }
    }

    /// Copies the batches in one transaction; the number of rows added (rows there already are
    /// skipped). Throws ``PostgresStoreError/rejected(_:)`` when the database refuses the data.
    @discardableResult
    public func copy(_ batches: [Batch]) async throws(PostgresStoreError) -> Int {
        guard !batches.isEmpty else { return 0 }
        let body = Self.copyText(batches)
        return try await PostgresDeadline.run(deadline) { [client, logger] () -> Int in
            try await Self.copy(body, client: client, logger: logger)
        }
    }

    static func copy(_ body: String, client: PostgresClient, logger: Logger) async throws -> Int {
            try await PostgresTransaction.run(client, logger: logger) { conn -> Int in
                try await conn.query("""
                    CREATE TEMP TABLE telemetry_in (at_ms bigint, match_id bigint, slot integer, epoch bigint, shard text, track text,
                        player_id bigint, ticks integer, inputs_applied integer, inputs_late integer, inputs_duplicate integer,
                        inputs_dropped integer, ticks_missing integer, rejoins integer, margin_mean_ticks real, margin_min_ticks integer)
                    ON COMMIT DROP
                    """, logger: logger)
                try await conn.copyFrom(table: "telemetry_in", columns: Self.columns, logger: logger) { writer in
                    try await writer.write(ByteBuffer(string: body))
                }
                // The months' partitions, created once (concurrent consumers wait on the lock).
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext('results.telemetry'))", logger: logger)
                try await conn.query("""
                    SELECT results.ensure_telemetry_partition(m) FROM (SELECT DISTINCT
                        date_trunc('month', to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC')::date AS m FROM telemetry_in) months
                    """, logger: logger)
                var added = 0
                for try await n in try await conn.query("""
                    WITH ins AS (INSERT INTO results.telemetry
                        SELECT to_timestamp(at_ms / 1000.0), match_id, slot, epoch, shard, track, player_id, ticks, inputs_applied, inputs_late,
                               inputs_duplicate, inputs_dropped, ticks_missing, rejoins, margin_mean_ticks, margin_min_ticks FROM telemetry_in
                        ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT count(*)::int FROM ins
                    """, logger: logger).decode(Int.self) { added = n }
                return added
            }
    }

    /// One kart's figures of a match, as stored.
    public struct Row: Codable, Sendable, Equatable {
        public var slot: Int
        public var playerId: Int64?
        public var shard: String
        public var ticks: Int
        public var inputsApplied: Int, inputsLate: Int, inputsDuplicate: Int, inputsDropped: Int
        public var ticksMissing: Int
        public var rejoins: Int
        public var marginMeanTicks: Float?
        public var marginMinTicks: Int?
    }

    /// A match's figures by kart (one row per kart and reporting shard).
    public func rows(matchId: Int64) async throws(PostgresStoreError) -> [Row] {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> [Row] in
            var out: [Row] = []
            for try await r in try await client.query("""
                SELECT slot, player_id, shard, ticks, inputs_applied, inputs_late, inputs_duplicate, inputs_dropped, ticks_missing, rejoins,
                       margin_mean_ticks, margin_min_ticks FROM results.telemetry WHERE match_id = \(matchId) ORDER BY at, slot
                """, logger: logger).decode((Int, Int64?, String, Int, Int, Int, Int, Int, Int, Int, Float?, Int?).self) {
                out.append(Row(slot: r.0, playerId: r.1, shard: r.2, ticks: r.3, inputsApplied: r.4, inputsLate: r.5, inputsDuplicate: r.6,
                               inputsDropped: r.7, ticksMissing: r.8, rejoins: r.9, marginMeanTicks: r.10, marginMinTicks: r.11))
            }
            return out
        }
    }
}
