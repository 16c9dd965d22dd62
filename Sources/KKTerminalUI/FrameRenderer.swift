import KKPhysics

/// Renders a match into exactly 24 lines of at most 80 columns: 22 map rows (track from a
/// ``TrackMap``, karts as `1`-`9`, `A`-`G` by slot, the player's own kart as `@`) and two HUD
/// lines. Pure: no terminal I/O (see ``AnsiScreen``).
public struct FrameRenderer: Sendable {
    public static let columns = 80
    public static let rows = 24
    public let track: Track
    public let map: TrackMap

    public init(track: Track) {
        self.track = track
        map = TrackMap(track: track, columns: Self.columns, rows: Self.rows - 2)
    }

    /// The glyph of a kart slot.
    public static func glyph(slot: Int) -> Character {
        let g = Array("123456789ABCDEFG")
        return slot >= 0 && slot < g.count ? g[slot] : "?"
    }

    /// The 24 lines, and the cell of the own kart (for highlighting) if it is on the map.
    public func render(state: MatchState?, localSlot: Int?, hud: HudInfo) -> (lines: [String], ownKart: (row: Int, column: Int)?) {
        var cells = map.cells
        var own: (row: Int, column: Int)?
        if let state {
            for k in 0..<state.karts.count where k != localSlot {
                if let c = map.cell(x: state.karts[k].x, y: state.karts[k].y) {
                    cells[c.row * map.columns + c.column] = Self.glyph(slot: k)
                }
            }
            if let s = localSlot, s < state.karts.count, let c = map.cell(x: state.karts[s].x, y: state.karts[s].y) {
                cells[c.row * map.columns + c.column] = "@"
                own = c
            }
        }
        var lines: [String] = []
        lines.reserveCapacity(Self.rows)
        for r in 0..<map.rows { lines.append(String(cells[r * map.columns ..< (r + 1) * map.columns])) }
        lines.append(contentsOf: hudLines(state: state, localSlot: localSlot, hud: hud))
        return (lines.map { Self.fit($0) }, own)
    }

    func hudLines(state: MatchState?, localSlot: Int?, hud: HudInfo) -> [String] {
        var race = "Lap -/-  Pos -/-"
        if let state, let s = localSlot, s < state.karts.count {
            let k = state.karts[s]
            let lap = min(max(Int(k.lap), 1), Int(state.race.totalLaps))
            let pos = RaceStanding.position(of: s, in: state, track: track)
            race = "Lap \(lap)/\(state.race.totalLaps)  Pos \(pos)/\(state.karts.count)"
            // 3, 2, 1 over the 180-tick countdown.
            if state.race.phase == .countdown { race += "  GET READY \((Int(state.race.phaseTicks) + 59) / 60)" }
            if k.status == .finished { race += "  FINISHED" }
        }
        let line1 = "\(race)  Ping \(Int(hud.pingMillis.rounded()))ms  Loss \(Self.percent(hud.upLoss))/\(Self.percent(hud.downLoss))"
            + "  Corr \(Self.oneDecimal(hud.correctionsPerSecond))/s"
        let line2 = "Relay \(hud.relay.isEmpty ? "-" : hud.relay) | \(hud.status)"
        return [line1, line2]
    }

    static func percent(_ v: Double) -> String { oneDecimal(v * 100) + "%" }

    static func oneDecimal(_ v: Double) -> String {
        let t = Int((max(0, v) * 10).rounded())
        return "\(t / 10).\(t % 10)"
    }

    /// Pads or cuts a line to exactly `columns` characters.
    static func fit(_ s: String) -> String {
        let n = s.count
        if n > columns { return String(s.prefix(columns)) }
        return n < columns ? s + String(repeating: " ", count: columns - n) : s
    }
}
