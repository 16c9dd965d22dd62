import KKResultsCore

/// One snapshot of the whole stack as the console shows it: the JSON of
/// `GET /v1/console/status`, the web console's data and the terminal view's input. Built once a
/// second by the console's poller from every process's admin endpoints (see ``ConsoleAssembler``);
/// `seq` numbers the snapshots so a page and a test can ask for the very same one again.
public struct ConsoleStatus: Codable, Sendable, Equatable {
    public var seq = 0
    /// Wall clock of the snapshot, seconds since 1970.
    public var atUnix: Double = 0
    public var title = "KartKlash Edge"
    public var processes: [ProcessHealth] = []
    public var relays: [RelayFigures] = []
    public var shards: [ShardFigures] = []
    public var matches: [MatchRow] = []
    public var lobby: LobbyFigures?
    public var bots: BotFigures?
    public var results: ResultsFigures?
    public var boards: [BoardFigures] = []
    /// Input->frame latency as the bots measure it, one point per second (the last 60).
    public var latency: [LatencyPoint] = []
    public var prometheus: PrometheusFigures?
    /// How to join the stack yourself (command lines).
    public var join: [String] = []

    public init() {}

    /// Processes whose state is `ready`.
    public var readyCount: Int { processes.filter { $0.state == .ready }.count }
}

/// A process of the stack and how it is doing.
public struct ProcessHealth: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case ready, notReady = "not_ready", down }
    public var name: String
    public var kind: String
    public var pid: Int?
    public var state: State
    /// Why it is not ready (its /readyz reasons), or empty.
    public var detail: String
    public init(name: String, kind: String, pid: Int?, state: State, detail: String = "") {
        self.name = name; self.kind = kind; self.pid = pid; self.state = state; self.detail = detail
    }
}

/// An edge relay's sessions and traffic (rates over the last poll interval).
public struct RelayFigures: Codable, Sendable, Equatable {
    public var name: String
    public var sessions = 0
    public var playing = 0
    public var inPps: Double = 0
    public var outPps: Double = 0
    public var inKBps: Double = 0
    public var outKBps: Double = 0
    /// Datagrams dropped since start, all reasons.
    public var drops = 0
    public var resumes = 0
    public init(name: String) { self.name = name }
}

/// A sim shard's load.
public struct ShardFigures: Codable, Sendable, Equatable {
    public var name: String
    public var matches = 0
    public var players = 0
    public var tickOverruns = 0
    public var adopted = 0
    public init(name: String) { self.name = name }
}

/// A match running on a shard.
public struct MatchRow: Codable, Sendable, Equatable {
    public var id: UInt64
    public var shard: String
    public var track: String
    public var phase: String
    public var players: Int
    public var tick: Int
    public init(id: UInt64, shard: String, track: String, phase: String, players: Int, tick: Int) {
        self.id = id; self.shard = shard; self.track = track; self.phase = phase; self.players = players; self.tick = tick
    }
}

/// The lobby: players connected, relays on its control plane, races started from rooms.
public struct LobbyFigures: Codable, Sendable, Equatable {
    public var players = 0
    public var relays = 0
    public var racesStarted = 0
    public init() {}
}

/// The synthetic clients (kk-load's live figures): what players experience.
public struct BotFigures: Codable, Sendable, Equatable {
    /// The run's second these figures close.
    public var second = 0
    public var clients = 0
    public var playing = 0
    public var failed = 0
    /// Input->frame latency this second, ms.
    public var p50Millis: Double = 0
    public var p99Millis: Double = 0
    /// Bytes per playing client per second.
    public var upBytesPerClient: Double = 0
    public var downBytesPerClient: Double = 0
    public var correctionsPerSecond = 0
    /// Since the start: resumes on another relay, handshakes, inputs checked against frames and
    /// those the shard never applied, the longest confirmation stall.
    public var resumes = 0
    public var handshakes = 0
    public var inputsChecked = 0
    public var inputsLost = 0
    public var maxStallMillis: Double = 0
    /// Faults injected so far ("relay relay-1 at 12.0 s").
    public var faults: [String] = []
    public init() {}
}

/// kk-load's live document (its admin /status): the bots' figures and the latency history.
public struct BotsLive: Codable, Sendable, Equatable {
    public var bots: BotFigures
    public var latency: [LatencyPoint]
    public init(bots: BotFigures, latency: [LatencyPoint]) { self.bots = bots; self.latency = latency }
}

/// Races recorded by the results service.
public struct ResultsFigures: Codable, Sendable, Equatable {
    public var recorded = 0
    public var verified = 0
    /// Coins the economy credited for races.
    public var coins = 0
    public var recent: [RecentRace] = []
    public init() {}
}

/// The top of one track's leaderboard.
public struct BoardFigures: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var rank: Int
        public var playerId: Int64
        public var bestTicks: Int
        public init(rank: Int, playerId: Int64, bestTicks: Int) { self.rank = rank; self.playerId = playerId; self.bestTicks = bestTicks }
    }
    public var track: String
    public var rows: [Row]
    public init(track: String, rows: [Row]) { self.track = track; self.rows = rows }
}

/// One second of input->frame latency, ms.
public struct LatencyPoint: Codable, Sendable, Equatable {
    public var second: Int
    public var p50Millis: Double
    public var p99Millis: Double
    public init(second: Int, p50Millis: Double, p99Millis: Double) { self.second = second; self.p50Millis = p50Millis; self.p99Millis = p99Millis }
}

/// Prometheus' view of the stack: scrape targets up out of all, and the alerts pending or
/// firing (`Ops/prometheus/rules.yml`).
public struct PrometheusFigures: Codable, Sendable, Equatable {
    /// An alert and where: `KartKlashRelayDown relay-1 firing`.
    public struct Alert: Codable, Sendable, Equatable {
        public var name: String
        public var target: String
        public var state: String
        public init(name: String, target: String, state: String) { self.name = name; self.target = target; self.state = state }
    }
    public var up: Int
    public var targets: Int
    public var alerts: [Alert]
    public init(up: Int, targets: Int, alerts: [Alert] = []) { self.up = up; self.targets = targets; self.alerts = alerts }
}
