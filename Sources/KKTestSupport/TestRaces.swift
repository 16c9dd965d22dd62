import KKPhysics
import KKResultsCore

/// A race of bots recorded the way a shard records it (every input change, from the first tick).
public func botRace(matchId: UInt64, players: Int = 2, seed: UInt64 = 7, playerBase: UInt64 = 100) throws -> RaceResult {
    let track = try TrackCatalog.track(named: "sprint")
    var sim = MatchSimulation(track: track, playerCount: players, seed: seed, rules: RaceRules(laps: 1))
    var log = InputLog(track: "sprint", players: players, seed: seed, laps: 1)
    var previous: [KartInput] = []
    var bots = (0..<players).map { BotDriver(slot: $0, seed: UInt64($0 + 1)) }
    var inputs = [KartInput](repeating: .neutral, count: players)
    while sim.state.race.phase != .finished && sim.state.tick < 20_000 {
        for s in 0..<players { inputs[s] = bots[s].input(state: sim.state, track: track) }
        log.record(tick: sim.state.tick, inputs: inputs, previous: &previous)
        sim.step(inputs: inputs)
    }
    return RaceResult(matchId: matchId, epoch: 1, shardId: "s1", track: "sprint", laps: sim.state.race.totalLaps, ticks: sim.state.tick,
                      entries: RaceResult.entries(of: sim.state, players: (0..<players).map { playerBase + UInt64($0) }), log: log.text())
}

