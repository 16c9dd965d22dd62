/// Cumulative counters summed over synthetic clients (monotone while the run lasts), so that a
/// window's figure is the difference of two snapshots and reports from several processes add up.
public struct LoadCounters: Sendable, Equatable, Codable {
    public var handshakes = 0
    public var handshakeFailures = 0
    public var framesReceived = 0
    public var framesExpected = 0
    public var framesFull = 0
    public var framesDelta = 0
    public var inputsRecorded = 0
    public var inputsAcked = 0
    public var inputChecks = 0
    public var inputMisses = 0
    public var inputPacketsSent = 0
    public var bytesUp = 0
    public var bytesDown = 0
    public var wireBytesUp = 0
    public var wireBytesDown = 0
    public var corrections = 0
    public var snaps = 0
    public var resumes = 0
    public var relayChanges = 0
    /// Relay changes by the SDK's reason (`FailoverReason`): silence, a draining relay's move,
    /// a relay that closed the session, a handshake that failed.
    public var failoversSilent = 0
    public var failoversDraining = 0
    public var failoversClosed = 0
    public var failoversHandshake = 0
    public var badPackets = 0
    public var frameStalls = 0
    public var impairDropped = 0
    public var impairDuplicated = 0
    public var impairReordered = 0
    /// Of the dropped, those lost in a burst (Gilbert-Elliott bad state).
    public var impairBurstDropped = 0
    /// Datagrams delayed by a delay spike.
    public var impairSpiked = 0
    /// Sum over seconds of the input lead (ticks) of every playing client (mean lead =
    /// this / playing client-seconds).
    public var leadTickSeconds = 0
    /// Clients that joined another race after theirs ended (scenario `rematch`).
    public var rematches = 0
    /// Client timer rounds that came over 100 ms late (`GameClient.heldUpRounds`): the
    /// generator's loop could not keep up, and its latency figures include its own lag.
    public var heldUpRounds = 0

    public init() {}

    /// Every field, by name (for sums, differences and tables).
    nonisolated(unsafe) public static let fields: [(String, WritableKeyPath<LoadCounters, Int>)] = [
        ("handshakes", \.handshakes), ("handshakeFailures", \.handshakeFailures),
        ("framesReceived", \.framesReceived), ("framesExpected", \.framesExpected),
        ("framesFull", \.framesFull), ("framesDelta", \.framesDelta),
        ("inputsRecorded", \.inputsRecorded), ("inputsAcked", \.inputsAcked),
        ("inputChecks", \.inputChecks), ("inputMisses", \.inputMisses), ("inputPacketsSent", \.inputPacketsSent),
        ("bytesUp", \.bytesUp), ("bytesDown", \.bytesDown), ("wireBytesUp", \.wireBytesUp), ("wireBytesDown", \.wireBytesDown),
        ("corrections", \.corrections), ("snaps", \.snaps), ("resumes", \.resumes), ("relayChanges", \.relayChanges),
        ("failoversSilent", \.failoversSilent), ("failoversDraining", \.failoversDraining),
        ("failoversClosed", \.failoversClosed), ("failoversHandshake", \.failoversHandshake),
        ("badPackets", \.badPackets), ("frameStalls", \.frameStalls),
        ("impairDropped", \.impairDropped), ("impairDuplicated", \.impairDuplicated), ("impairReordered", \.impairReordered),
        ("impairBurstDropped", \.impairBurstDropped), ("impairSpiked", \.impairSpiked),
        ("leadTickSeconds", \.leadTickSeconds), ("rematches", \.rematches), ("heldUpRounds", \.heldUpRounds),
    ]

    public static func + (a: LoadCounters, b: LoadCounters) -> LoadCounters {
        var r = a
        for (_, k) in fields { r[keyPath: k] += b[keyPath: k] }
        return r
    }

    public static func - (a: LoadCounters, b: LoadCounters) -> LoadCounters {
        var r = a
        for (_, k) in fields { r[keyPath: k] -= b[keyPath: k] }
        return r
    }

    /// Downlink loss: share of frames the tick gaps say were sent but never arrived (0...1).
    public var downLoss: Double { framesExpected <= 0 ? 0 : max(0, 1 - Double(framesReceived) / Double(framesExpected)) }
    /// Uplink loss after redundancy: share of authoritative ticks stepped without our input (0...1).
    public var upLoss: Double { inputChecks <= 0 ? 0 : Double(inputMisses) / Double(inputChecks) }
}

extension LoadCounters {
    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Reads every field by name; one a report was written without (an older kk-load) is 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init()
        for (name, k) in Self.fields { self[keyPath: k] = try c.decodeIfPresent(Int.self, forKey: Key(stringValue: name)) ?? 0 }
    }
}

/// Instantaneous client counts (summed across workers, never differenced).
public struct LoadGauges: Sendable, Equatable, Codable {
    public var started = 0
    public var handshaking = 0
    public var joining = 0
    public var playing = 0
    public var resuming = 0
    /// Ended normally (quit, match over).
    public var ended = 0
    /// Ended by an error (handshake failed, timed out, unreachable, refused...).
    public var failed = 0

    public init() {}

    public static func + (a: LoadGauges, b: LoadGauges) -> LoadGauges {
        LoadGauges(started: a.started + b.started, handshaking: a.handshaking + b.handshaking, joining: a.joining + b.joining,
                   playing: a.playing + b.playing, resuming: a.resuming + b.resuming, ended: a.ended + b.ended, failed: a.failed + b.failed)
    }

    public init(started: Int, handshaking: Int, joining: Int, playing: Int, resuming: Int, ended: Int, failed: Int) {
        self.started = started; self.handshaking = handshaking; self.joining = joining
        self.playing = playing; self.resuming = resuming; self.ended = ended; self.failed = failed
    }
}

/// What one worker (one event loop) measured in one second: cumulative counters, gauges, and
/// the histograms of values recorded during that second only.
public struct WorkerSample: Sendable {
    public var worker: Int
    public var second: Int
    public var counters = LoadCounters()
    public var gauges = LoadGauges()
    /// Input-to-authoritative-frame latency, µs.
    public var latency = LatencyHistogram()
    /// Handshake durations, µs.
    public var handshake = LatencyHistogram()
    /// Correction distances, mm.
    public var correctionMm = LatencyHistogram()
    /// Per rendered frame, how far smoothing moved the drawn local kart off its prediction, mm.
    public var visualStepMm = LatencyHistogram()
    /// Frame gaps longer than the stall threshold (resume time), µs.
    public var stalls = LatencyHistogram()

    public init(worker: Int, second: Int) {
        self.worker = worker
        self.second = second
    }
}
