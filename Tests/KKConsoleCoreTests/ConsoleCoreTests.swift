import Foundation
import KKConsoleCore
import KKResultsCore
import Testing

@Suite struct MetricsTextTests {
    let text = """
    # HELP kk_relay_datagrams_total Datagrams.
    # TYPE kk_relay_datagrams_total counter
    kk_relay_datagrams_total{direction="in"} 120
    kk_relay_datagrams_total{direction="out"} 80
    kk_relay_datagrams_total_extra 5
    kk_relay_sessions 7
    kk_lobby_races_started_total{kind="room"} 3
    kk_lobby_races_started_total{kind="quick_play"} 2
    kk_lobby_races_started_total{kind="failed"} 1
    kk_bad{x="1"} NaN
    """

    @Test func sumsSamplesMatchingTheLabels() {
        #expect(MetricsText.sum(text, "kk_relay_datagrams_total") == 200)
        #expect(MetricsText.sum(text, "kk_relay_datagrams_total", ["direction": "in"]) == 120)
        #expect(MetricsText.sum(text, "kk_relay_sessions") == 7)
        #expect(MetricsText.sum(text, "kk_lobby_races_started_total") == 6)
        #expect(MetricsText.sum(text, "kk_lobby_races_started_total", ["kind": "failed"]) == 1)
    }

    @Test func missingNamesPrefixClashesAndNonFiniteValuesAreNotFigures() {
        #expect(MetricsText.sum(text, "kk_relay") == nil)
        #expect(MetricsText.sum(text, "kk_relay_datagrams_total", ["direction": "sideways"]) == nil)
        #expect(MetricsText.sum(text, "kk_bad") == nil)
        #expect(MetricsText.sum("", "x") == nil)
        #expect(MetricsText.sum("x{unterminated 3\nx 4", "x") == 4)
    }
}

@Suite struct ConsoleTargetsTests {
    func parse(_ json: String) throws(ConsoleError) -> ConsoleTargets { try ConsoleTargets.parse(Data(json.utf8)) }

    @Test func aStackDocumentParses() throws {
        let t = try parse("""
        {"title": "local stack", "targets": [{"name": "redis", "kind": "redis", "pid": 12},
          {"name": "relay-1", "kind": "relay", "url": "http://127.0.0.1:9000", "pid": 13}],
         "results": "http://127.0.0.1:7090", "tracks": ["sprint", "oval"], "prometheus": "http://127.0.0.1:9090", "join": ["kk-client ..."]}
        """)
        #expect(t.targets.count == 2)
        #expect(t.targets[1].url == "http://127.0.0.1:9000")
        #expect(t.tracks == ["sprint", "oval"])
    }

    @Test(arguments: [
        (#"{"targets": [{"name": "a", "kind": "x"}]}"#, "neither url nor pid"),
        (#"{"targets": [{"name": "a", "kind": "x", "pid": 1}, {"name": "a", "kind": "x", "pid": 2}]}"#, "listed twice"),
        (#"{"targets": [{"name": "", "kind": "x", "pid": 1}]}"#, "1-64 characters"),
        (#"{"targets": [{"name": "a", "kind": "x", "pid": -4}]}"#, "pid must be positive"),
        (#"{"targets": [{"name": "a", "kind": "x", "url": "127.0.0.1:80"}]}"#, "http(s)://"),
        (#"{"targets": [{"name": "a", "kind": "x", "url": "http://127.0.0.1:80/"}]}"#, "trailing slash"),
        (#"{"targets": [], "tracks": ["../etc"]}"#, "track '../etc'"),
        (#"{"targets": [], "prometheus": "ftp://x"}"#, "prometheus"),
        (#"{"targets": 3}"#, "not a targets document"),
        ("not json", "not a targets document"),
    ])
    func badDocumentsAreRefusedWithTheReason(json: String, reason: String) {
        #expect {
            try parse(json)
        } throws: { e in
            "\(e)".contains(reason) && "\(e)".hasPrefix("console targets:")
        }
    }

    @Test func anUnreadableFileIsAClearError() {
        #expect(throws: ConsoleError.badTargets("cannot read /nonexistent/targets.json")) { try ConsoleTargets.load(path: "/nonexistent/targets.json") }
    }
}

@Suite struct ConsoleAssemblerTests {
    func target(_ name: String, _ kind: String, url: Bool = true, pid: Int? = nil) -> ConsoleTargets.Target {
        .init(name: name, kind: kind, url: url ? "http://127.0.0.1:1" : nil, pid: pid)
    }

    func relay(_ name: String, datagramsIn: Int, bytesIn: Int, sessions: Int) -> TargetObservation {
        var o = TargetObservation(target: target(name, "relay"))
        o.readyStatus = 200
        o.status = Data(#"{"sessions": \#(sessions), "playing": 2, "drops": {"bad_checksum": 3, "gate_not_handshake": 1}, "other": true}"#.utf8)
        o.metrics = """
        kk_relay_datagrams_total{direction="in"} \(datagramsIn)
        kk_relay_datagrams_total{direction="out"} \(datagramsIn * 2)
        kk_relay_bytes_total{direction="in"} \(bytesIn)
        kk_relay_bytes_total{direction="out"} 0
        kk_relay_joins_total{kind="join"} 9
        kk_relay_joins_total{kind="resume"} 4
        """
        return o
    }

    @Test func relayRatesComeFromTwoPollsAndARestartIsNotANegativeRate() {
        var a = ConsoleAssembler()
        let s1 = a.assemble(Observation(atUnix: 100, monotonicSeconds: 10, targets: [relay("r1", datagramsIn: 1000, bytesIn: 50_000, sessions: 5)]))
        #expect(s1.seq == 1)
        #expect(s1.relays == [{ var r = RelayFigures(name: "r1"); r.sessions = 5; r.playing = 2; r.drops = 4; r.resumes = 4; return r }()])
        let s2 = a.assemble(Observation(atUnix: 102, monotonicSeconds: 12, targets: [relay("r1", datagramsIn: 1600, bytesIn: 80_000, sessions: 6)]))
        #expect(s2.seq == 2)
        #expect(s2.relays[0].inPps == 300)
        #expect(s2.relays[0].outPps == 600)
        #expect(s2.relays[0].inKBps == 15)
        // The relay restarted: its counters went back.
        let s3 = a.assemble(Observation(atUnix: 103, monotonicSeconds: 13, targets: [relay("r1", datagramsIn: 10, bytesIn: 500, sessions: 0)]))
        #expect(s3.relays[0].inPps == 0)
        let s4 = a.assemble(Observation(atUnix: 104, monotonicSeconds: 14, targets: [relay("r1", datagramsIn: 110, bytesIn: 1500, sessions: 0)]))
        #expect(s4.relays[0].inPps == 100)
    }

    @Test func healthComesFromPidsAndReadiness() {
        var a = ConsoleAssembler()
        var up = TargetObservation(target: target("redis", "redis", url: false, pid: 5)); up.alive = true
        var gone = TargetObservation(target: target("nginx", "nginx", url: false, pid: 6)); gone.alive = false
        var starting = TargetObservation(target: target("shard-1", "shard", pid: 7))
        starting.alive = true; starting.readyStatus = 503; starting.readyBody = "redis unreachable\nnot registered"
        var silent = TargetObservation(target: target("relay-1", "relay", pid: 8)); silent.alive = true
        var killed = TargetObservation(target: target("relay-2", "relay", pid: 9)); killed.alive = false
        let s = a.assemble(Observation(atUnix: 1, monotonicSeconds: 1, targets: [up, gone, starting, silent, killed]))
        #expect(s.processes.map(\.state) == [.ready, .down, .notReady, .down, .down])
        #expect(s.processes[2].detail == "redis unreachable")
        #expect(s.processes[3].detail == "no answer")
        #expect(s.processes[4].detail == "pid 9 gone")
        #expect(s.readyCount == 1)
        // A relay that does not answer still has its row, with nothing in it.
        #expect(s.relays.map(\.name) == ["relay-1", "relay-2"] && s.relays.allSatisfy { $0.sessions == 0 })
    }

    @Test func shardsServicesAndBotsBecomeTheirFigures() throws {
        var a = ConsoleAssembler(title: "t", join: ["kk-client --x"])
        var shard = TargetObservation(target: target("shard-1", "shard"))
        shard.readyStatus = 200
        shard.status = Data(#"{"matches": [{"id": 9, "phase": "racing", "players": 8, "tick": 600, "track": "oval"}, {"id": 3, "phase": "countdown", "players": 4, "tick": 2, "track": "sprint"}], "tickOverruns": 2}"#.utf8)
        shard.metrics = "kk_shard_matches_adopted_total 1\n"
        var services = TargetObservation(target: target("kk-services", "services"))
        services.readyStatus = 200
        services.status = Data(#"{"lobby": {"sockets": 16, "relaySockets": 2, "redisConnected": true}}"#.utf8)
        services.metrics = "kk_lobby_races_started_total{kind=\"room\"} 2\nkk_lobby_races_started_total{kind=\"failed\"} 1\n"
        var load = TargetObservation(target: target("bots", "load"))
        load.readyStatus = 200
        var bots = BotFigures(); bots.clients = 32; bots.playing = 30; bots.resumes = 4
        load.status = try JSONEncoder().encode(BotsLive(bots: bots, latency: (0..<90).map { LatencyPoint(second: $0, p50Millis: 40, p99Millis: 80) }))
        var o = Observation(atUnix: 1, monotonicSeconds: 1, targets: [shard, services, load])
        o.recent = RecentRaces(recorded: 3, verified: 2, coins: 700, races: [])
        o.prometheus = PrometheusFigures(up: 9, targets: 10)
        let s = a.assemble(o)
        #expect(s.shards == [{ var f = ShardFigures(name: "shard-1"); f.matches = 2; f.players = 12; f.tickOverruns = 2; f.adopted = 1; return f }()])
        #expect(s.matches.map(\.id) == [3, 9])
        #expect(s.lobby == { var l = LobbyFigures(); l.players = 16; l.relays = 2; l.racesStarted = 2; return l }())
        #expect(s.bots == bots)
        #expect(s.latency.count == 60 && s.latency.first?.second == 30)
        #expect(s.results?.recorded == 3 && s.results?.coins == 700)
        #expect(s.prometheus == PrometheusFigures(up: 9, targets: 10))
        #expect(s.title == "t" && s.join == ["kk-client --x"])
    }

    @Test func garbageStatusDocumentsLeaveFiguresEmptyNotACrash() {
        var a = ConsoleAssembler()
        var shard = TargetObservation(target: target("shard-1", "shard"))
        shard.readyStatus = 200
        shard.status = Data([0xff, 0x00, 0x7b])
        shard.metrics = "garbage {{{ \n\u{0}"
        var load = TargetObservation(target: target("bots", "load"))
        load.readyStatus = 200
        load.status = Data("[]".utf8)
        let s = a.assemble(Observation(atUnix: 1, monotonicSeconds: 1, targets: [shard, load]))
        #expect(s.shards == [ShardFigures(name: "shard-1")])
        #expect(s.bots == nil)
    }
}

@Suite struct ConsoleHistoryTests {
    @Test func keepsTheLastSnapshotsByNumber() throws {
        var h = ConsoleHistory()
        for i in 1...130 { var s = ConsoleStatus(); s.seq = i; h.add(s) }
        #expect(h.latest?.seq == 130)
        #expect(try h.snapshot(11).seq == 11)
        #expect(throws: ConsoleError.noSnapshot(10)) { try h.snapshot(10) }
        #expect(throws: ConsoleError.noSnapshot(131)) { try h.snapshot(131) }
    }
}

@Suite struct ConsoleScreenTests {
    /// A busy stack: more of everything than 24 rows hold.
    static func busy() -> ConsoleStatus {
        var s = ConsoleStatus()
        s.seq = 42
        s.atUnix = 3_600 * 7 + 62
        s.title = "KartKlash Edge local stack"
        s.processes = ["redis", "postgres", "kk-services", "kk-match", "coturn", "nginx", "moto", "prometheus", "shard-1", "shard-2", "relay-1", "relay-2", "bots"]
            .map { ProcessHealth(name: $0, kind: "x", pid: 1, state: .ready) }
        s.processes[10].state = .down
        s.relays = [RelayFigures(name: "relay-1"), { var r = RelayFigures(name: "relay-2"); r.sessions = 32; r.inPps = 960; r.resumes = 16; return r }()]
        s.shards = [ShardFigures(name: "shard-1"), { var f = ShardFigures(name: "shard-2"); f.matches = 4; f.players = 32; f.adopted = 2; return f }()]
        s.matches = (1...8).map { MatchRow(id: UInt64($0), shard: "shard-2", track: "oval", phase: "racing", players: 8, tick: 1234) }
        s.lobby = { var l = LobbyFigures(); l.players = 32; l.racesStarted = 4; l.relays = 2; return l }()
        var b = BotFigures(); b.clients = 32; b.playing = 31; b.p50Millis = 61.4; b.p99Millis = 118.6; b.resumes = 16; b.inputsLost = 50; b.inputsChecked = 359
        b.faults = ["relay relay-1 at 12.0 s", "shard shard-1 at 19.5 s"]
        s.bots = b
        s.latency = (0..<60).map { LatencyPoint(second: $0, p50Millis: 50, p99Millis: Double(60 + $0)) }
        var r = ResultsFigures(); r.recorded = 4; r.verified = 4; r.coins = 1_600
        r.recent = (1...4).map { RecentRace(matchId: Int64($0), track: "sprint", laps: 1, ticks: 800, verified: true, recordedAtUnix: 0,
                                            racers: [.init(slot: 0, playerId: 7, place: 1, finishTick: 755, status: "finished", coins: 100),
                                                     .init(slot: 1, playerId: nil, place: nil, finishTick: 0, status: "dnf", coins: nil)]) }
        s.results = r
        s.boards = [BoardFigures(track: "sprint", rows: [.init(rank: 1, playerId: 7, bestTicks: 755)])]
        s.prometheus = PrometheusFigures(up: 11, targets: 12, alerts: [.init(name: "KartKlashRelayDown", target: "relay-1", state: "pending")])
        s.join = ["/usr/bin/kk-client --auth-url http://127.0.0.1:7090 --lobby-url ws://127.0.0.1:7090/v1/lobby", "web console: http://127.0.0.1:7090/console"]
        return s
    }

    @Test func aBusyStackFits80x24WithEveryEssentialFigure() {
        let lines = ConsoleScreen.render(Self.busy(), width: 80, height: 24)
        #expect(lines.count <= 24)
        #expect(lines.allSatisfy { $0.count <= 80 && $0.allSatisfy(\.isASCII) }, "\(lines)")
        let text = lines.joined(separator: "\n")
        for must in ["#42", "12/13 ready", "relay-1 DOWN", "relay-2", "32 sess 0 play | in 960 pps", "shard-2", "adopted 2", "players online 32",
                     "p99 119 ms", "resumes 16", "races recorded", "1600 coins", "won by #7 in 0:12.58", "join     /usr/bin/kk-client", "07:01:02"] {
            #expect(text.contains(must), "missing \(must) in\n\(text)")
        }
    }

    @Test func aLargerTerminalShowsMore() {
        let small = ConsoleScreen.render(Self.busy(), width: 80, height: 24)
        let large = ConsoleScreen.render(Self.busy(), width: 160, height: 60)
        #expect(!small.joined().contains("board    sprint"), "\(small.joined(separator: "\n"))")
        let text = large.joined(separator: "\n")
        #expect(text.contains("board    sprint: 1. #7 0:12.58"))
        #expect(text.contains("faults   relay relay-1 at 12.0 s; shard shard-1 at 19.5 s"))
        #expect(text.contains("inputs lost 50 of 359"))
        #expect(text.contains("prom  11/12 scrape targets up | alerts: KartKlashRelayDown relay-1 pending"))
        #expect(large.allSatisfy { $0.count <= 160 })
    }

    @Test func anEmptyStatusStillDraws() {
        let lines = ConsoleScreen.render(ConsoleStatus(), width: 80, height: 24)
        #expect(lines.count >= 2 && lines.count <= 24)
        #expect(lines.joined().contains("no load generator"))
    }

    @Test func raceTimesAreMinutesSecondsHundredths() {
        #expect(ConsoleScreen.raceTime(0) == "0:00.00")
        #expect(ConsoleScreen.raceTime(755) == "0:12.58")
        #expect(ConsoleScreen.raceTime(3_600 + 30) == "1:00.50")
    }
}
