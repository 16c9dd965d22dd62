import KKResultsCore

import Foundation

/// What one poll saw of one target.
public struct TargetObservation: Sendable {
    public var target: ConsoleTargets.Target
    /// Whether its pid is alive (nil: no pid given).
    public var alive: Bool?
    /// Its /readyz answer (nil: no URL, or unreachable) and body (the reasons when not ready).
    public var readyStatus: Int?
    public var readyBody = ""
    /// Its /status and /metrics bodies, when fetched.
    public var status: Data?
    public var metrics: String?
    public init(target: ConsoleTargets.Target) { self.target = target }
}

/// One poll of the whole stack.
public struct Observation: Sendable {
    /// Wall clock (seconds since 1970) and a monotonic clock (seconds) of the poll.
    public var atUnix: Double
    public var monotonicSeconds: Double
    public var targets: [TargetObservation]
    public var recent: RecentRaces?
    public var boards: [BoardFigures] = []
    public var prometheus: PrometheusFigures?
    public init(atUnix: Double, monotonicSeconds: Double, targets: [TargetObservation]) {
        self.atUnix = atUnix; self.monotonicSeconds = monotonicSeconds; self.targets = targets
    }
}

/// Turns polls into numbered ``ConsoleStatus`` snapshots (pure): health from pids and /readyz,
/// relay and shard figures from their /status and /metrics (rates from the previous poll's
/// counters), the lobby from the services', the bots from kk-load's live document.
public struct ConsoleAssembler: Sendable {
    public var title: String
    public var join: [String]
    private var seq = 0
    /// The bots' last figures: shown on after the load generator stops (its final word).
    private var lastBots: BotsLive?
    private var previous: [String: (at: Double, counters: [String: Double])] = [:]

    public init(title: String = "KartKlash Edge", join: [String] = []) { self.title = title; self.join = join }

    struct RelayDoc: Decodable { var sessions: Int?; var playing: Int?; var drops: [String: Int]? }
    struct ShardDoc: Decodable {
        struct Match: Decodable { var id: UInt64; var phase: String?; var players: Int?; var tick: Int?; var track: String? }
        var matches: [Match]?; var tickOverruns: Int?
    }
    struct ServicesDoc: Decodable {
        struct Lobby: Decodable { var sockets: Int?; var relaySockets: Int? }
        var lobby: Lobby?
    }

    public mutating func assemble(_ o: Observation) -> ConsoleStatus {
        seq += 1
        var s = ConsoleStatus()
        s.seq = seq
        s.atUnix = o.atUnix
        s.title = title
        s.join = join
        s.recentFrom(o.recent)
        s.boards = o.boards
        s.prometheus = o.prometheus
        for t in o.targets {
            s.processes.append(health(t))
            let up = t.alive != false && t.readyStatus != nil
            switch t.target.kind {
            case "relay":
                var r = RelayFigures(name: t.target.name)
                if up, let d = t.status, let doc = try? JSONDecoder().decode(RelayDoc.self, from: d) {
                    r.sessions = doc.sessions ?? 0
                    r.playing = doc.playing ?? 0
                    r.drops = (doc.drops ?? [:]).values.reduce(0, +)
                }
                if up, let m = t.metrics {
                    let c = counters(m, [("in", "kk_relay_datagrams_total", ["direction": "in"]), ("out", "kk_relay_datagrams_total", ["direction": "out"]),
                                         ("bin", "kk_relay_bytes_total", ["direction": "in"]), ("bout", "kk_relay_bytes_total", ["direction": "out"])])
                    let rates = rate(t.target.name, at: o.monotonicSeconds, c)
                    r.inPps = rates["in"] ?? 0; r.outPps = rates["out"] ?? 0
                    r.inKBps = (rates["bin"] ?? 0) / 1000; r.outKBps = (rates["bout"] ?? 0) / 1000
                    r.resumes = Int(MetricsText.sum(m, "kk_relay_joins_total", ["kind": "resume"]) ?? 0)
                } else {
                    previous[t.target.name] = nil
                }
                s.relays.append(r)
            case "shard":
                var f = ShardFigures(name: t.target.name)
                if up, let d = t.status, let doc = try? JSONDecoder().decode(ShardDoc.self, from: d) {
                    let ms = doc.matches ?? []
                    f.matches = ms.count
                    f.players = ms.reduce(0) { $0 + ($1.players ?? 0) }
                    f.tickOverruns = doc.tickOverruns ?? 0
                    s.matches += ms.map { MatchRow(id: $0.id, shard: t.target.name, track: $0.track ?? "?", phase: $0.phase ?? "?",
                                                   players: $0.players ?? 0, tick: $0.tick ?? 0) }
                }
                if up, let m = t.metrics { f.adopted = Int(MetricsText.sum(m, "kk_shard_matches_adopted_total") ?? 0) }
                s.shards.append(f)
            case "services":
                guard up else { break }
                var l = s.lobby ?? LobbyFigures()
                if let d = t.status, let doc = try? JSONDecoder().decode(ServicesDoc.self, from: d), let lobby = doc.lobby {
                    l.players += lobby.sockets ?? 0
                    l.relays += lobby.relaySockets ?? 0
                }
                if let m = t.metrics {
                    let started = MetricsText.sum(m, "kk_lobby_races_started_total") ?? 0
                    let failed = MetricsText.sum(m, "kk_lobby_races_started_total", ["kind": "failed"]) ?? 0
                    l.racesStarted += Int(started - failed)
                }
                s.lobby = l
            case "load":
                if let d = t.status, let live = try? JSONDecoder().decode(BotsLive.self, from: d) { lastBots = live }
                if let live = lastBots {
                    s.bots = live.bots
                    s.latency = Array(live.latency.suffix(60))
                }
            default:
                break
            }
        }
        s.matches.sort { $0.id < $1.id }
        return s
    }

    func health(_ t: TargetObservation) -> ProcessHealth {
        let state: ProcessHealth.State
        var detail = ""
        if t.alive == false {
            state = .down
            detail = "pid \(t.target.pid ?? 0) gone"
        } else if t.target.url == nil {
            state = .ready
        } else if let code = t.readyStatus {
            state = code == 200 ? .ready : .notReady
            if code != 200 { detail = String(t.readyBody.split(separator: "\n").first ?? "HTTP \(code)").prefix(60).description }
        } else {
            state = .down
            detail = "no answer"
        }
        return ProcessHealth(name: t.target.name, kind: t.target.kind, pid: t.target.pid, state: state, detail: detail)
    }

    func counters(_ text: String, _ wanted: [(String, String, [String: String])]) -> [String: Double] {
        var out: [String: Double] = [:]
        for (key, name, labels) in wanted { if let v = MetricsText.sum(text, name, labels) { out[key] = v } }
        return out
    }

    /// Per-second rates of `now` against the previous poll of `name` (zero on the first poll or
    /// after a counter went back: a restarted process).
    mutating func rate(_ name: String, at t: Double, _ now: [String: Double]) -> [String: Double] {
        defer { previous[name] = (t, now) }
        guard let p = previous[name], t > p.at else { return [:] }
        var out: [String: Double] = [:]
        for (k, v) in now { if let old = p.counters[k], v >= old { out[k] = (v - old) / (t - p.at) } }
        return out
    }
}

extension ConsoleStatus {
    mutating func recentFrom(_ r: RecentRaces?) {
        guard let r else { return }
        var f = ResultsFigures()
        f.recorded = r.recorded; f.verified = r.verified; f.coins = r.coins; f.recent = r.races
        results = f
    }
}
