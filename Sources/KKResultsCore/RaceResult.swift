import KKPhysics

/// A finished race as its shard saw it: who drove which kart, the finish order and ticks, and
/// the whole input log (every input change the shard applied), so the result can be checked by
/// re-simulating it (``ResultVerifier``). Published by the shard when the match ends (a Redis
/// stream entry, JSON); recorded once per match by the results service.
public struct RaceResult: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var slot: Int
        public var playerId: UInt64?
        /// 1-based place among the finishers; nil: did not finish.
        public var place: Int?
        /// Tick of the finish (ticks since the match began), 0 if not finished.
        public var finishTick: UInt32
        /// "finished", "retiredIdle", "timedOut" or "racing" (``KartStatus``).
        public var status: String

        public init(slot: Int, playerId: UInt64?, place: Int?, finishTick: UInt32, status: String) {
            self.slot = slot; self.playerId = playerId; self.place = place; self.finishTick = finishTick; self.status = status
        }
    }

    public var matchId: UInt64
    public var epoch: UInt64
    public var shardId: String
    public var track: String
    public var laps: UInt8
    public var ticks: UInt32
    public var entries: [Entry]
    /// The input log's text form (``InputLog``); nil when the shard does not have the whole
    /// race (it adopted the match from another shard mid-race): such a result is unverifiable.
    public var log: String?

    public init(matchId: UInt64, epoch: UInt64, shardId: String, track: String, laps: UInt8, ticks: UInt32, entries: [Entry], log: String?) {
        self.matchId = matchId; self.epoch = epoch; self.shardId = shardId; self.track = track; self.laps = laps
        self.ticks = ticks; self.entries = entries; self.log = log
    }

    /// The entries a final state gives (players by slot).
    public static func entries(of state: MatchState, players: [UInt64?]) -> [Entry] {
        var place = [Int: Int]()
        for i in 0..<Int(state.race.finishedCount) where i < state.race.finishOrder.count { place[Int(state.race.finishOrder[i])] = i + 1 }
        return (0..<state.playerCount).map { s in
            let k = state.karts[s]
            return Entry(slot: s, playerId: s < players.count ? players[s] : nil, place: place[s], finishTick: k.finishTick,
                         status: "\(k.status)")
        }
    }
}

/// Why a result is not verified.
public enum VerificationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// No log (the shard adopted the match mid-race).
    case noLog
    case badLog(String)
    /// The log is longer than the verifier replays (bounded CPU).
    case tooLong(UInt32)
    /// The re-simulation disagrees: the first difference.
    case mismatch(String)

    public var description: String {
        switch self {
        case .noLog: "no input log (the match changed shards mid-race)"
        case .badLog(let w): "the input log does not parse: \(w)"
        case .tooLong(let t): "the log has \(t) ticks, more than the verifier replays"
        case .mismatch(let w): "re-simulation disagrees: \(w)"
        }
    }

    /// A stable label (metrics, the stored reason).
    public var label: String {
        switch self {
        case .noLog: "no_log"
        case .badLog: "bad_log"
        case .tooLong: "too_long"
        case .mismatch: "mismatch"
        }
    }
}

/// Checks a result by re-simulating its input log with the same deterministic physics: the
/// finish order, every kart's finish tick and status must come out exactly as reported, and the
/// log's track, laps and kart count must be the result's. Pure and bounded (at most
/// `maxTicks` ticks: 20 minutes of race by default).
public struct ResultVerifier: Sendable {
    public var maxTicks: UInt32

    public init(maxTicks: UInt32 = 60 * 60 * 20) { self.maxTicks = maxTicks }

    public func verify(_ r: RaceResult) -> VerificationFailure? { check(r).failure }

    /// What re-simulating a result found: why it is not verified (nil: it is), and each kart
    /// slot's best lap in ticks (nil: no whole lap) as the replay timed them, line crossing to
    /// line crossing.
    public struct Check: Sendable, Equatable {
        public var failure: VerificationFailure?
        public var bestLaps: [UInt32?]
    }

    public func check(_ r: RaceResult) -> Check {
        var laps = LapTimer(karts: r.entries.count)
        let failure = verify(r, laps: &laps)
        return Check(failure: failure, bestLaps: failure == nil ? laps.best : [])
    }

    func verify(_ r: RaceResult, laps: inout LapTimer) -> VerificationFailure? {
        guard let text = r.log else { return .noLog }
        let log: InputLog
        do throws(PhysicsError) { log = try InputLog(parsing: text) } catch { return .badLog("\(error)") }
        guard log.ticks <= maxTicks else { return .tooLong(log.ticks) }
        guard log.track == r.track else { return .mismatch("track \(log.track), result says \(r.track)") }
        guard log.players == r.entries.count else { return .mismatch("\(log.players) karts, result lists \(r.entries.count)") }
        let final: MatchState
        laps = LapTimer(karts: log.players)
        do throws(PhysicsError) { final = try log.replay { laps.observe($0) } } catch { return .badLog("\(error)") }
        guard final.race.totalLaps == r.laps else { return .mismatch("\(final.race.totalLaps) laps, result says \(r.laps)") }
        let replayed = RaceResult.entries(of: final, players: r.entries.map(\.playerId))
        for (a, b) in zip(replayed, r.entries) where a != b {
            return .mismatch("slot \(a.slot): replayed place \(a.place.map(String.init) ?? "-") tick \(a.finishTick) \(a.status), "
                             + "reported place \(b.place.map(String.init) ?? "-") tick \(b.finishTick) \(b.status)")
        }
        return nil
    }
}

/// Times laps during a replay: a lap is from one crossing of the start line to the next (the
/// first crossing starts lap 1; the last ends the race).
struct LapTimer: Sendable {
    private var lap: [UInt8]
    private var status: [KartStatus]
    private var crossedAt: [UInt32?]
    private(set) var best: [UInt32?]

    init(karts: Int) {
        lap = [UInt8](repeating: 0, count: karts)
        status = [KartStatus](repeating: .racing, count: karts)
        crossedAt = [UInt32?](repeating: nil, count: karts)
        best = [UInt32?](repeating: nil, count: karts)
    }

    mutating func observe(_ state: borrowing MatchState) {
        for s in 0..<min(lap.count, state.karts.count) {
            let k = state.karts[s]
            let crossed = k.lap != lap[s] || (k.status == .finished && status[s] != .finished)
            lap[s] = k.lap
            status[s] = k.status
            guard crossed else { continue }
            if let from = crossedAt[s], state.tick > from {
                let t = state.tick - from
                best[s] = min(best[s] ?? .max, t)
            }
            crossedAt[s] = state.tick
        }
    }
}
