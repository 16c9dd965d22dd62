/// The screen kk-client shows after a race (80x24, pure): the recorded result (places and
/// times, verified or why not), the track's board (the top and the rows around the player)
/// and what the race paid. Times are ticks (60 per second).
public struct ResultsScreen: Sendable, Equatable {
    public struct Racer: Sendable, Equatable {
        public var place: Int?
        public var playerId: Int64?
        /// Race time (from the start signal), ticks; nil: did not finish.
        public var raceTicks: Int?
        public var status: String
        public init(place: Int?, playerId: Int64?, raceTicks: Int?, status: String) {
            self.place = place; self.playerId = playerId; self.raceTicks = raceTicks; self.status = status
        }
    }

    public struct Row: Sendable, Equatable {
        public var rank: Int
        public var playerId: Int64
        public var bestTicks: Int
        public init(rank: Int, playerId: Int64, bestTicks: Int) { self.rank = rank; self.playerId = playerId; self.bestTicks = bestTicks }
    }

    public var me: Int64
    public var matchId: UInt64
    public var track: String
    /// nil while the results service has not recorded the race (yet).
    public var verified: Bool?
    public var unverifiedReason: String?
    public var racers: [Racer] = []
    public var top: [Row] = []
    public var aroundMe: [Row] = []
    /// The race's reward and the balance after it, when known.
    public var reward: Int64?
    public var balance: Int64?
    /// A line about what could not be fetched.
    public var note: String?

    public init(me: Int64, matchId: UInt64, track: String) { self.me = me; self.matchId = matchId; self.track = track }

    /// `ticks` as m:ss.cc.
    public static func time(_ ticks: Int) -> String {
        let cs = ticks * 100 / 60
        let m = cs / 6000, s = (cs / 100) % 60, c = cs % 100
        return "\(m):\(s < 10 ? "0" : "")\(s).\(c < 10 ? "0" : "")\(c)"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }

    /// The screen's lines (at most 24, each at most 80 characters).
    public func render() -> [String] {
        var out: [String] = []
        out.append(Self.pad("== Race \(matchId) on \(track) ==", 80))
        switch verified {
        case nil: out.append("result: waiting for the results service...")
        case true?: out.append("result: verified (re-simulated from the input log)")
        case false?: out.append(String("result: NOT verified - \(unverifiedReason ?? "unknown reason")".prefix(80)))
        }
        out.append("")
        out.append(" pos  player                 time        status")
        for r in racers.prefix(8) {
            let pos = r.place.map { Self.pad("\($0).", 4) } ?? "--  "
            let who = r.playerId.map { $0 == me ? "you (\($0))" : "\($0)" } ?? "(empty)"
            let t = r.raceTicks.map(Self.time) ?? "-"
            out.append(" \(pos) \(Self.pad(who, 22)) \(Self.pad(t, 11)) \(r.status)")
        }
        out.append("")
        if let reward {
            out.append("reward: +\(reward)" + (balance.map { "   balance: \($0)" } ?? ""))
        }
        out.append("-- \(track) leaderboard (this season) --")
        var rows: [Row] = top.prefix(5).map { $0 }
        if !aroundMe.isEmpty, !rows.contains(where: { $0.playerId == me }) {
            if let first = aroundMe.first, first.rank > (rows.last?.rank ?? 0) + 1 { rows.append(Row(rank: 0, playerId: 0, bestTicks: 0)) }
            rows += aroundMe.filter { a in !rows.contains { $0.rank == a.rank && a.rank > 0 } }.prefix(3)
        }
        if rows.isEmpty { out.append("  no times yet") }
        for r in rows {
            if r.rank == 0 { out.append("  ..."); continue }
            let mark = r.playerId == me ? " <- you" : ""
            out.append("  \(Self.pad("\(r.rank).", 5)) \(Self.pad("\(r.playerId)", 22)) \(Self.time(r.bestTicks))\(mark)")
        }
        if let note { out.append(String(note.prefix(80))) }
        out.append("")
        out.append("press any key to leave")
        return Array(out.prefix(24)).map { String($0.prefix(80)) }
    }
}
