import KKEconomy
import KKPostgres
import KKResultsCore
import PostgresNIO

extension ResultsStore {
    /// The latest `limit` races recorded (newest first) with their racers and the coins each was
    /// rewarded, and the totals: races recorded, verified, coins rewarded for races (0 without
    /// the economy).
    public func recent(limit: Int) async throws(PostgresStoreError) -> RecentRaces {
        try await PostgresDeadline.run(deadline) { [client, logger, rewards] () -> RecentRaces in
            var recorded = 0, verified = 0, coins = 0
            for try await (n, v) in try await client.query(
                "SELECT count(*)::bigint, count(*) FILTER (WHERE verified)::bigint FROM results.matches", logger: logger).decode((Int64, Int64).self) {
                recorded = Int(n); verified = Int(v)
            }
            if rewards != nil {
                for try await c in try await client.query(
                    "SELECT coalesce(sum(amount), 0)::bigint FROM economy.ledger WHERE kind = 'reward'", logger: logger).decode(Int64.self) {
                    coins = Int(c)
                }
            }
            var races: [RecentRace] = []
            for try await (mid, track, laps, ticks, ok, at) in try await client.query("""
                SELECT match_id, track, laps, ticks, verified, extract(epoch FROM recorded_at)::float8 FROM results.matches
                ORDER BY recorded_at DESC, match_id DESC LIMIT \(limit)
                """, logger: logger).decode((Int64, String, Int, Int, Bool, Double).self) {
                races.append(RecentRace(matchId: mid, track: track, laps: laps, ticks: ticks, verified: ok, recordedAtUnix: at, racers: []))
            }
            guard !races.isEmpty else { return RecentRaces(recorded: recorded, verified: verified, coins: coins, races: []) }
            let ids = races.map(\.matchId)
            var byMatch: [Int64: [RecentRace.Racer]] = [:]
            for try await (mid, slot, pid, place, tick, status) in try await client.query("""
                SELECT match_id, slot, player_id, place, finish_tick, status FROM results.entries
                WHERE match_id = ANY(\(ids)::bigint[]) ORDER BY match_id, slot
                """, logger: logger).decode((Int64, Int, Int64?, Int?, Int, String).self) {
                byMatch[mid, default: []].append(.init(slot: slot, playerId: pid, place: place, finishTick: tick, status: status, coins: nil))
            }
            var paid: [String: Int] = [:]
            if rewards != nil {
                let keys = byMatch.flatMap { mid, rs in rs.compactMap { $0.playerId.map { RaceRewards.key(matchId: mid, playerId: $0) } } }
                for try await (k, amount) in try await client.query(
                    "SELECT idempotency_key, amount FROM economy.ledger WHERE idempotency_key = ANY(\(keys)::text[])",
                    logger: logger).decode((String, Int64).self) {
                    paid[k] = Int(amount)
                }
            }
            for i in races.indices {
                let mid = races[i].matchId
                races[i].racers = (byMatch[mid] ?? []).map { r in
                    var r = r
                    r.coins = r.playerId.flatMap { paid[RaceRewards.key(matchId: mid, playerId: $0)] }
                    return r
                }
            }
            return RecentRaces(recorded: recorded, verified: verified, coins: coins, races: races)
        }
    }
}
