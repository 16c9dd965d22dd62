extension InputLog {
    /// A log played forward one tick at a time from a fresh match: each slot holds its last
    /// change's input (``InputLog/replay(onTick:)`` plays it through; a ghost steps it with
    /// the game's frames).
    public struct Replay: Sendable {
        public let log: InputLog
        public let track: Track
        public private(set) var simulation: MatchSimulation
        private var inputs: [KartInput]
        private var next = 0

        public init(_ log: InputLog) throws(PhysicsError) {
            let track = try TrackCatalog.track(named: log.track)
            var rules = RaceRules(laps: track.laps)
            if let laps = log.laps { rules.laps = laps }
            self.log = log
            self.track = track
            simulation = MatchSimulation(track: track, playerCount: log.players, seed: log.seed, rules: rules)
            inputs = [KartInput](repeating: .neutral, count: log.players)
        }

        public var isDone: Bool { simulation.state.tick >= log.ticks }

        /// Steps one tick; false (and nothing stepped) once the log is played out.
        public mutating func step() -> Bool {
            guard !isDone else { return false }
            let t = simulation.state.tick
            while next < log.changes.count && log.changes[next].tick <= t {
                inputs[Int(log.changes[next].slot)] = log.changes[next].input
                next += 1
            }
            simulation.step(inputs: inputs)
            return true
        }
    }

    /// A race of `players` bots (``BotDriver``, slot `s` seeded `botSeed + s`) on the track
    /// `track`, recorded until it is over or `maxTicks` ran: the log and the final state.
    public static func botRace(track name: String, players: Int, seed: UInt64, botSeed: UInt64, laps: UInt8,
                               maxTicks: UInt32) throws(PhysicsError) -> (log: InputLog, state: MatchState) {
        let track = try TrackCatalog.track(named: name)
        var sim = MatchSimulation(track: track, playerCount: players, seed: seed, rules: RaceRules(laps: laps))
        var log = InputLog(track: name, players: players, seed: seed, laps: laps)
        var previous: [KartInput] = []
        var bots = (0..<players).map { BotDriver(slot: $0, seed: botSeed &+ UInt64($0)) }
        var inputs = [KartInput](repeating: .neutral, count: players)
        while sim.state.race.phase != .finished && sim.state.tick < maxTicks {
            for s in 0..<players { inputs[s] = bots[s].input(state: sim.state, track: track) }
            log.record(tick: sim.state.tick, inputs: inputs, previous: &previous)
            sim.step(inputs: inputs)
        }
        return (log, sim.state)
    }
}
