import KKPhysics
import KKResultsCore

/// A race of bots recorded the way a shard records it (every input change, from the first tick).
public func botRace(matchId: UInt64, players: Int = 2, seed: UInt64 = 7, playerBase: UInt64 = 100) throws -> RaceResult {
    let (log, state) = try InputLog.botRace(track: "sprint", players: players, seed: seed, botSeed: 1, laps: 1, maxTicks: 20_000)
    return RaceResult(matchId: matchId, epoch: 1, shardId: "s1", track: "sprint", laps: state.race.totalLaps, ticks: state.tick,
                      entries: RaceResult.entries(of: state, players: (0..<players).map { playerBase + UInt64($0) }), log: log.text())
}
