import KKResultsCore

import Foundation

/// The main job's terminal view (pure): a ``ConsoleStatus`` drawn as at most `height` lines of at
/// most `width` columns (80x24 and larger), plain ASCII. When the screen is short, the least
/// important lines go first (extra matches, boards, faults), never the health and figures.
public enum ConsoleScreen {
    /// Lines of the view (the snapshot's time shown as UTC HH:MM:SS).
    public static func render(_ s: ConsoleStatus, width: Int = 80, height: Int = 24) -> [String] {
        let w = max(40, width), h = max(12, height)
        var out: [(text: String, rank: Int)] = []
        func add(_ t: String, _ rank: Int = 0) { out.append((t, rank)) }
        let ready = s.readyCount
        add(pad("\(s.title) - live", "\(clock(s.atUnix))  #\(s.seq)  \(ready)/\(s.processes.count) ready", w))
        for line in wrap(s.processes.map(token), prefix: "procs ", width: w) { add(line) }
        if let p = s.prometheus {
            let alerts = p.alerts.map { "\($0.name) \($0.target) \($0.state)" }
            add("prom  \(p.up)/\(p.targets) scrape targets up | " + (alerts.isEmpty ? "no alerts" : "alerts: " + alerts.joined(separator: ", ")), 1)
        }
        for r in s.relays {
            add(String(format: "%@ %d sess %d play | in %.0f pps %.1f kB/s | out %.0f pps %.1f kB/s | drop %d res %d",
                       col(r.name, 8), r.sessions, r.playing, r.inPps, r.inKBps, r.outPps, r.outKBps, r.drops, r.resumes))
        }
        for f in s.shards {
            add("\(col(f.name, 8)) matches \(f.matches) players \(f.players) | tick overruns \(f.tickOverruns) | adopted \(f.adopted)")
        }
        if let l = s.lobby {
            add("lobby    players online \(l.players) | races started from rooms \(l.racesStarted) | relays linked \(l.relays)")
        }
        let matchTokens = s.matches.map { "#\($0.id) \($0.phase) \($0.track) \($0.players)p t\($0.tick)@\($0.shard)" }
        for (i, line) in wrap(matchTokens, prefix: "matches ", width: w, separator: " | ").enumerated() { add(line, i == 0 ? 0 : 2) }
        if let b = s.bots {
            add(String(format: "bots     %d clients, %d playing, %d failed | input->frame p50 %.0f ms p99 %.0f ms",
                       b.clients, b.playing, b.failed, b.p50Millis, b.p99Millis))
            add(String(format: "         per client up %.1f down %.1f kB/s | corrections %d/s | resumes %d",
                       b.upBytesPerClient / 1000, b.downBytesPerClient / 1000, b.correctionsPerSecond, b.resumes))
            add(String(format: "         inputs lost %d of %d | longest stall %.0f ms | handshakes %d",
                       b.inputsLost, b.inputsChecked, b.maxStallMillis, b.handshakes), 1)
            if !b.faults.isEmpty { add("faults   " + b.faults.joined(separator: "; "), 1) }
        } else {
            add("bots     (no load generator)", 1)
        }
        if !s.latency.isEmpty {
            let n = max(10, w - 30)
            let pts = Array(s.latency.suffix(n))
            let top = max(1, pts.map(\.p99Millis).max() ?? 1)
            add("p99 ms   " + spark(pts.map(\.p99Millis), top: top) + String(format: " max %.0f", top))
        }
        if let r = s.results {
            add("results  \(r.recorded) races recorded (\(r.verified) verified), \(r.coins) coins rewarded")
            for (i, race) in r.recent.prefix(3).enumerated() {
                let winner = race.winner.map { "won by \($0.playerId.map { "#\($0)" } ?? "a guest") in \(raceTime($0.finishTick))" } ?? "nobody finished"
                let coins = race.racers.compactMap(\.coins).reduce(0, +)
                add("         match #\(race.matchId) \(race.track): \(winner), \(race.racers.count) racers, \(coins) coins\(race.verified ? "" : " (unverified)")",
                    i == 0 ? 0 : 2)
            }
        }
        for b in s.boards where !b.rows.isEmpty {
            add("board    \(b.track): " + b.rows.prefix(4).map { "\($0.rank). #\($0.playerId) \(raceTime($0.bestTicks))" }.joined(separator: "  "), 2)
        }
        for (i, j) in s.join.enumerated() { add((i == 0 ? "join     " : "         ") + j, i == 0 ? 0 : 1) }
        // Drop the least important lines (from the bottom) until the screen holds them.
        while out.count > h, let worst = out.map(\.rank).max(), worst > 0,
              let i = out.lastIndex(where: { $0.rank == worst }) {
            out.remove(at: i)
        }
        return out.prefix(h).map { String($0.text.prefix(w)) }
    }

    /// A race time: ticks at 60 per second as m:ss.cc.
    public static func raceTime(_ ticks: Int) -> String {
        let cs = ticks * 100 / 60
        return String(format: "%d:%02d.%02d", cs / 6000, cs / 100 % 60, cs % 100)
    }

    static func token(_ p: ProcessHealth) -> String {
        switch p.state {
        case .ready: return "\(p.name) ok"
        case .notReady: return "\(p.name) NOT READY"
        case .down: return "\(p.name) DOWN"
        }
    }

    static func clock(_ unix: Double) -> String {
        let t = Int(unix) % 86_400
        return String(format: "%02d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
    }

    static func col(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func pad(_ left: String, _ right: String, _ w: Int) -> String {
        let gap = w - left.count - right.count
        return gap >= 1 ? left + String(repeating: " ", count: gap) + right : left + " " + right
    }

    /// Tokens joined into lines of at most `width`, the first prefixed, the rest indented alike.
    static func wrap(_ tokens: [String], prefix: String, width: Int, separator: String = "  ") -> [String] {
        guard !tokens.isEmpty else { return [] }
        let indent = String(repeating: " ", count: prefix.count)
        var lines: [String] = []
        var cur = prefix
        for t in tokens {
            let fresh = cur == prefix || cur == indent
            if !fresh && cur.count + separator.count + t.count > width {
                lines.append(cur)
                cur = indent
            }
            cur += (cur == prefix || cur == indent ? "" : separator) + t
        }
        lines.append(cur)
        return lines
    }

    /// A bar per value, ASCII levels from ' ' to '#'.
    static func spark(_ values: [Double], top: Double) -> String {
        let levels = Array(" .:-=+*%#")
        return String(values.map { v in levels[min(levels.count - 1, max(0, Int((v / top) * Double(levels.count - 1) + 0.5)))] })
    }
}
