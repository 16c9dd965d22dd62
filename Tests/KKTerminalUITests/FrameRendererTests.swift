import KKPhysics
import KKTerminalUI
import Testing

@Suite struct FrameRendererTests {
    /// A known state: 3 karts on the oval grid after some driving; the own kart is slot 1.
    static func knownState() throws -> (Track, MatchState) {
        let track = try TrackCatalog.track(named: "oval")
        var sim = MatchSimulation(track: track, playerCount: 3, seed: 7, rules: RaceRules(laps: 2))
        var bots = (0..<3).map { BotDriver(slot: $0, seed: 1, wobble: 0) }
        for _ in 0..<600 {
            let inputs = (0..<3).map { bots[$0].input(state: sim.state, track: track) }
            sim.step(inputs: inputs)
        }
        return (track, sim.state)
    }

    @Test func rendersTrackKartsAndHud() throws {
        let (track, state) = try Self.knownState()
        let r = FrameRenderer(track: track)
        let hud = HudInfo(pingMillis: 42.4, upLoss: 0.012, downLoss: 0, correctionsPerSecond: 0.5,
                          relay: "203.0.113.10:7777", status: "connected")
        let (lines, own) = r.render(state: state, localSlot: 1, hud: hud)
        #expect(lines.count == 24)
        #expect(lines.allSatisfy { $0.count == 80 })
        let map = lines[0..<22].joined()
        // Walls, road centreline and the start/finish line are drawn.
        #expect(map.filter { $0 == "#" }.count > 100)
        #expect(map.contains(".") && map.contains(":"))
        // Own kart highlighted as @, the others by slot glyph.
        #expect(map.filter { $0 == "@" }.count == 1)
        #expect(map.contains("1") && map.contains("3") && !map.contains("2"))
        let o = try #require(own)
        #expect(Array(lines[o.row])[o.column] == "@")
        // The oval is wider than tall: its walls span most columns.
        let wallColumns = Set(lines[0..<22].flatMap { l in l.enumerated().filter { $0.element == "#" }.map(\.offset) })
        #expect(wallColumns.count > 60)
        #expect(lines[22].hasPrefix("Lap 1/2  Pos "))
        #expect(lines[22].contains("Ping 42ms") && lines[22].contains("Loss 1.2%/0.0%") && lines[22].contains("Corr 0.5/s"))
        #expect(lines[23].hasPrefix("Relay 203.0.113.10:7777 | connected"))
        print(lines.joined(separator: "\n"))
    }

    @Test func rendersWithoutAState() throws {
        let r = FrameRenderer(track: try TrackCatalog.track(named: "canyon"))
        let (lines, own) = r.render(state: nil, localSlot: nil, hud: HudInfo(status: "joining the match..."))
        #expect(lines.count == 24 && lines.allSatisfy { $0.count == 80 } && own == nil)
        #expect(lines[22].hasPrefix("Lap -/-") && lines[23].contains("joining the match..."))
    }

    @Test func positionsFollowProgress() throws {
        let (track, state) = try Self.knownState()
        let positions = (0..<3).map { RaceStanding.position(of: $0, in: state, track: track) }
        #expect(Set(positions) == [1, 2, 3])
    }

    @Test func ansiFrameHighlightsOwnKart() {
        let s = AnsiScreen.frame(["ab@d", "efgh"], highlight: (0, 2))
        #expect(s.hasPrefix("\u{1B}[H") && s.contains("ab\u{1B}[7m@\u{1B}[0md\u{1B}[K\r\nefgh"))
        #expect(AnsiScreen.enter.contains("?1049h") && AnsiScreen.restore.contains("?25h"))
    }
}
