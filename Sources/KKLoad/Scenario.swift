import Foundation

/// A load scenario (LoadTests/scenarios/*.json): how many clients, how fast they arrive, what
/// the network does to them, which faults to inject, and the thresholds that fail the run.
/// Every field has a default, so a file only says what differs.
public struct Scenario: Sendable, Equatable, Codable {
    public var name = "unnamed"
    /// Clients at the end of the ramp (hard-capped by kk-load's --max-clients).
    public var clients = 10
    /// Clients per match (the shard's players per match).
    public var playersPerMatch = 4
    /// Which synthetic client: the SDK's GameClient (prediction, rollback, corrections, relay
    /// failover) or a lean client (the SDK's DTLS transport and the wire protocol, inputs at
    /// the rate and frames acknowledged, no prediction): for counts and rates a prediction per
    /// client would not leave the CPU for.
    public enum ClientModel: String, Sendable, Codable { case sdk, lean }
    public var client = ClientModel.sdk
    /// Input packets per second per client: 60, 30 or 20 (lean clients also 15, 12, 10).
    public var inputHz = 30
    /// Frames per second the spawned shards send each client (60 divided by a whole number).
    public var frameHz = 20
    /// Inputs per packet (newest + unacknowledged older ones).
    public var inputRedundancy = 16
    /// SDK clients adapt their input lead to the shard's input-margin reports (false: the RTT
    /// formula alone, for comparisons).
    public var adaptiveLead = true
    public var ramp = Ramp()
    /// Seconds to hold once every client has started.
    public var holdSeconds = 10
    /// Hard cap on the whole run's wall time, seconds.
    public var maxSeconds = 120
    /// Event-loop threads generating clients.
    public var threads = 1
    /// Stack kk-load starts with --spawn-stack.
    public var relays = 1
    public var shards = 1
    /// Laps per race (long, so races outlast the run).
    public var laps = 50
    public var impairment = LinkImpairment()
    public var faults: [Fault] = []
    public var thresholds = Thresholds()
    /// Capacity search: stop once a step breaks the budget.
    public var capacity: CapacityBudget?
    /// Match ownership lease of spawned shards (adoption after a shard dies takes about this), ms.
    public var ownershipTtlMillis = 3000
    /// Liveness silence of spawned shards (a dead shard's matches are adopted this long after
    /// its last beat), ms; 0: leases only (`kk-shard --liveness-ms`).
    public var livenessMillis = 400
    /// A gap between input confirmations longer than this counts as a stall (resume-time sample), ms.
    public var stallMillis = 300
    /// A client whose race ends (match over) joins the next one with a new token, with the
    /// other players of its match (SDK clients; for runs longer than a race, such as soaks).
    public var rematch = false

    public init() {}

    /// Clients are added `stepClients` at a time every `stepSeconds`, their joins spread over
    /// `spreadMillis`; per-step figures skip each step's first `settleSeconds`.
    public struct Ramp: Sendable, Equatable, Codable {
        public var stepClients = 10
        public var stepSeconds = 5
        public var spreadMillis = 1_000
        public var settleSeconds = 2
        public init() {}
    }

    /// Kill a spawned (or --relay-pid/--shard-pid) process at a time into the run.
    public struct Fault: Sendable, Equatable, Codable {
        public enum Target: String, Sendable, Codable { case relay, shard }
        public var atSeconds: Double
        public var kill: Target
        public var index = 0
        public init(atSeconds: Double, kill: Target, index: Int = 0) { self.atSeconds = atSeconds; self.kill = kill; self.index = index }
    }

    /// Budget of the capacity search (the knee is the last step within it).
    public struct CapacityBudget: Sendable, Equatable, Codable {
        public var p99Millis: Double = 100
        public var maxLoss: Double = 0.01
        /// Steps run after the first failing one (0: stop at once).
        public var stepsAfterBreak = 0
        public init() {}
    }

    /// Steps needed to reach `clients`.
    public var steps: Int { max(1, (clients + ramp.stepClients - 1) / max(1, ramp.stepClients)) }
    /// Planned duration: the ramp plus the hold.
    public var plannedSeconds: Int { steps * ramp.stepSeconds + holdSeconds }
    /// Ticks between frames of the spawned shards.
    public var frameEveryTicks: Int { 60 / max(1, frameHz) }
    /// Rendered ticks per input packet.
    public var sendEveryTicks: Int { max(1, min(3, 60 / max(1, inputHz))) }

    /// Problems a typo could cause, worded for the command line.
    public func validate() -> [String] {
        var p: [String] = []
        if clients < 1 { p.append("clients must be >= 1") }
        if !(1...16).contains(playersPerMatch) { p.append("playersPerMatch must be 1...16") }
        if livenessMillis != 0 && livenessMillis < 200 { p.append("livenessMillis must be 0 (leases only) or >= 200") }
        switch client {
        case .sdk:
            if ![20, 30, 60].contains(inputHz) { p.append("inputHz must be 20, 30 or 60") }
        case .lean:
            if ![10, 12, 15, 20, 30, 60].contains(inputHz) { p.append("inputHz must be 10, 12, 15, 20, 30 or 60 for lean clients") }
            if !impairment.isNone { p.append("impairment needs client \"sdk\" (lean clients do not go through the impairing proxy)") }
            if !faults.isEmpty { p.append("faults need client \"sdk\" (lean clients do not resume on another relay)") }
            if rematch { p.append("rematch needs client \"sdk\"") }
        }
        if !(1...60).contains(frameHz) || 60 % frameHz != 0 { p.append("frameHz must divide 60 (60, 30, 20, 15, 12, 10, ...)") }
        if !(1...32).contains(inputRedundancy) { p.append("inputRedundancy must be 1...32") }
        if ramp.stepClients < 1 || ramp.stepSeconds < 1 { p.append("ramp.stepClients and ramp.stepSeconds must be >= 1") }
        if maxSeconds < 1 { p.append("maxSeconds must be >= 1") }
        if !(1...64).contains(threads) { p.append("threads must be 1...64") }
        if relays < 1 || shards < 1 { p.append("relays and shards must be >= 1") }
        if !(1...255).contains(laps) { p.append("laps must be 1...255") }
        p += impairment.validate()
        return p
    }

    /// Decodes a scenario file (missing fields take their defaults).
    public static func load(_ data: Data) throws -> Scenario { try JSONDecoder().decode(Scenario.self, from: data) }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func take<T: Decodable>(_ k: CodingKeys, _ v: inout T) throws { if let x = try c.decodeIfPresent(T.self, forKey: k) { v = x } }
        try take(.name, &name); try take(.clients, &clients); try take(.playersPerMatch, &playersPerMatch)
        try take(.client, &client); try take(.frameHz, &frameHz)
        try take(.inputHz, &inputHz); try take(.inputRedundancy, &inputRedundancy); try take(.ramp, &ramp)
        try take(.holdSeconds, &holdSeconds); try take(.maxSeconds, &maxSeconds); try take(.threads, &threads)
        try take(.relays, &relays); try take(.shards, &shards); try take(.laps, &laps); try take(.impairment, &impairment)
        try take(.faults, &faults); try take(.thresholds, &thresholds); try take(.stallMillis, &stallMillis)
        try take(.ownershipTtlMillis, &ownershipTtlMillis); try take(.livenessMillis, &livenessMillis); try take(.adaptiveLead, &adaptiveLead)
        try take(.rematch, &rematch)
        capacity = try c.decodeIfPresent(CapacityBudget.self, forKey: .capacity)
    }
}

extension Scenario.Ramp {
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        stepClients = try c.decodeIfPresent(Int.self, forKey: .stepClients) ?? stepClients
        stepSeconds = try c.decodeIfPresent(Int.self, forKey: .stepSeconds) ?? stepSeconds
        spreadMillis = try c.decodeIfPresent(Int.self, forKey: .spreadMillis) ?? spreadMillis
        settleSeconds = try c.decodeIfPresent(Int.self, forKey: .settleSeconds) ?? settleSeconds
    }
}

extension Scenario.CapacityBudget {
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        p99Millis = try c.decodeIfPresent(Double.self, forKey: .p99Millis) ?? p99Millis
        maxLoss = try c.decodeIfPresent(Double.self, forKey: .maxLoss) ?? maxLoss
        stepsAfterBreak = try c.decodeIfPresent(Int.self, forKey: .stepsAfterBreak) ?? stepsAfterBreak
    }
}

/// Limits that fail a run (kk-load exits 1, the smoke test fails). nil = not checked.
public struct Thresholds: Sendable, Equatable, Codable {
    public var p99LatencyMillis: Double?
    public var maxDownLoss: Double?
    public var maxUpLoss: Double?
    /// Clients that ended with an error or never reached playing.
    public var maxErrors: Int?
    public var maxBadPackets: Int?
    public var maxHandshakeP99Millis: Double?
    /// Prediction quality under impairment: p99 correction distance (metres) and corrections
    /// per client-second (docs/GAMEPLAY.md documents the netsim bounds: 1.5 m and 3/s).
    public var maxCorrectionP99Metres: Double?
    public var maxCorrectionsPerClientSecond: Double?
    public init() {}
}
