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

    public let slot: Int
    private var replay: InputLog.Replay

    /// `text`: the ghost's log (`kklog 1`); `slot`: the kart to follow.
    public init(log text: String, slot: Int) throws(PhysicsError) {
        let log = try InputLog(parsing: text)
        guard (0..<log.players).contains(slot) else { throw .badLog(line: 0, reason: "slot \(slot) is not in the log (\(log.players) karts)") }
        self.slot = slot
        replay = try InputLog.Replay(log)
    }

    public var log: InputLog { replay.log }
    public var track: Track { replay.track }
    /// The state so far (every kart).
    public var state: MatchState { replay.simulation.state }
    public var isDone: Bool { replay.isDone }

    /// Steps one tick; nil once the log is played out.
    public mutating func step() -> Pose? {
        guard replay.step() else { return nil }
        let s = replay.simulation.state
        let k = s.karts[slot]
        return Pose(tick: s.tick, x: Double(k.x) / 65_536, y: Double(k.y) / 65_536, heading: Double(k.heading) / 65_536 * 2 * Double.pi,
                    lap: Int(k.lap), finished: k.status == .finished)
    }
}
