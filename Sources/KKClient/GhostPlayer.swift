import KKPhysics

/// Plays a ghost back: the race's input log re-simulated tick by tick with the same physics,
/// following one kart (deterministic: it drives exactly the recorded race). Pure; a few kB of
/// log stand for a whole race.
public struct GhostPlayer: Sendable {
    /// The followed kart after one tick.
    public struct Pose: Sendable, Equatable {
        public var tick: UInt32
        /// Metres.
        public var x: Double
        public var y: Double
        /// Radians, 0 = +x, counter-clockwise.
        public var heading: Double
        public var lap: Int
        public var finished: Bool
    }

    public let log: InputLog
    public let slot: Int
    public let track: Track
    private var sim: MatchSimulation
    private var inputs: [KartInput]
    private var next = 0

    /// `text`: the ghost's log (`kklog 1`); `slot`: the kart to follow.
    public init(log text: String, slot: Int) throws(PhysicsError) {
        let log = try InputLog(parsing: text)
        guard (0..<log.players).contains(slot) else { throw .badLog(line: 0, reason: "slot \(slot) is not in the log (\(log.players) karts)") }
        let track = try TrackCatalog.track(named: log.track)
        var rules = RaceRules(laps: track.laps)
        if let laps = log.laps { rules.laps = laps }
        self.log = log; self.slot = slot; self.track = track
        sim = MatchSimulation(track: track, playerCount: log.players, seed: log.seed, rules: rules)
        inputs = [KartInput](repeating: .neutral, count: log.players)
    }

    /// The state so far (every kart).
    public var state: MatchState { sim.state }
    public var isDone: Bool { sim.state.tick >= log.ticks }

    /// Steps one tick; nil once the log is played out.
    public mutating func step() -> Pose? {
        guard !isDone else { return nil }
        let t = sim.state.tick
        while next < log.changes.count && log.changes[next].tick <= t {
            inputs[Int(log.changes[next].slot)] = log.changes[next].input
            next += 1
        }
        sim.step(inputs: inputs)
        let k = sim.state.karts[slot]
        return Pose(tick: sim.state.tick, x: Double(k.x) / 65_536, y: Double(k.y) / 65_536, heading: Double(k.heading) / 65_536 * 2 * Double.pi,
                    lap: Int(k.lap), finished: k.status == .finished)
    }
}
