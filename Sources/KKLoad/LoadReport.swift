import Foundation

/// The JSON report of a kk-load run. Everything in it merges (``merge(_:)``: reports of several
/// kk-load processes driving one stack add up into one), and ``finalize()`` recomputes the
/// derived ``summary`` (percentiles, losses, per-client figures, knee, threshold verdict).
public struct LoadReport: Sendable, Equatable, Codable {
    public var version = 1
    public var scenario: String
    public var startedUnix: Double = 0
    /// Wall seconds of the run (the longest, after a merge).
    public var seconds: Double = 0
    /// Reports merged into this one (1 for a single process).
    public var processes = 1
    public var workers = 1
    public var clientsPlanned = 0
    public var gauges = LoadGauges()
    public var counters = LoadCounters()
    /// Client-seconds spent playing (sum over seconds of clients playing).
    public var playingSeconds = 0
    public var latencyMicros = LatencyHistogram()
    public var handshakeMicros = LatencyHistogram()
    public var correctionMm = LatencyHistogram()
    /// Per rendered frame, the smoother's visible move of the local kart, mm.
    public var visualStepMm = LatencyHistogram()
    public var stallMicros = LatencyHistogram()
    /// Stalls by the second they ended in (seconds with none left out): per-fault percentiles.
    public var stallsBySecond: [Int: LatencyHistogram] = [:]
    public var steps: [StepResult] = []
    public var timeline: [SecondLine] = []
    public var faults: [FaultRecord] = []
    /// CPU seconds by component over the run.
    public var cpuSeconds = CpuShare()
    /// End-of-run counters scraped from the stack's /metrics (name -> value, summed over processes).
    public var stackMetrics: [String: Double] = [:]
    public var thresholds = Thresholds()
    public var capacity: Scenario.CapacityBudget?
    public var summary: Summary?

    public init(scenario: String) { self.scenario = scenario }

    /// A fault injected during the run.
    public struct FaultRecord: Sendable, Equatable, Codable {
        public var atSeconds: Double
        public var target: String
        public var pid: Int32
        public init(atSeconds: Double, target: String, pid: Int32) { self.atSeconds = atSeconds; self.target = target; self.pid = pid }
    }

    /// What one fault cost the players: resumes, inputs the shard never applied, confirmation
    /// gaps (the resume time players felt) and clients lost, over the seconds from the fault
    /// up to the next fault or the end of the run.
    public struct FaultImpact: Sendable, Equatable, Codable {
        public var target: String
        public var atSeconds: Double
        public var windowSeconds: Int
        public var resumes: Int
        public var inputsChecked: Int
        public var inputsLost: Int
        public var stalls: Int
        public var maxStallMillis: Double
        /// Percentiles of the stalls (the resume time players felt), ms.
        public var stallP50Millis: Double = 0
        public var stallP99Millis: Double = 0
        /// Relay changes the SDK clients made in the window (any reason).
        public var relayChanges = 0
        public var clientsFailed: Int

        /// Splits the timeline at each fault's second.
        public static func split(faults: [FaultRecord], timeline: [SecondLine],
                                 stallsBySecond: [Int: LatencyHistogram] = [:]) -> [FaultImpact] {
            let sorted = faults.sorted { $0.atSeconds < $1.atSeconds }
            let lastSecond = timeline.map(\.second).max() ?? 0
            return sorted.enumerated().map { i, f in
                let from = Int(f.atSeconds)
                let to = i + 1 < sorted.count ? Int(sorted[i + 1].atSeconds) : lastSecond + 1
                let window = timeline.filter { $0.second >= from && $0.second < max(to, from + 1) }
                let failedBefore = timeline.last { $0.second < from }?.failed ?? 0
                var stalled = LatencyHistogram()
                for l in window { if let h = stallsBySecond[l.second] { stalled.merge(h) } }
                var impact = FaultImpact(
                    target: f.target, atSeconds: f.atSeconds, windowSeconds: window.count,
                    resumes: window.reduce(0) { $0 + $1.resumes }, inputsChecked: window.reduce(0) { $0 + $1.inputsChecked },
                    inputsLost: window.reduce(0) { $0 + $1.inputsLost }, stalls: window.reduce(0) { $0 + $1.stalls },
                    maxStallMillis: window.map(\.maxStallMillis).max() ?? 0,
                    clientsFailed: max(0, (window.last?.failed ?? failedBefore) - failedBefore))
                impact.relayChanges = window.reduce(0) { $0 + $1.relayChanges }
                if stalled.count > 0 {
                    impact.stallP50Millis = Double(stalled.value(at: 50)) / 1000
                    impact.stallP99Millis = Double(stalled.value(at: 99)) / 1000
                }
                return impact
            }
        }
    }

    /// Derived figures (recomputed by ``finalize()``; ignored as input).
    public struct Summary: Sendable, Equatable, Codable {
        public var latencyMillis: HistogramSummary
        public var handshakeMillis: HistogramSummary
        public var correctionMetres: HistogramSummary
        /// Per rendered frame while smoothing, how far the drawn kart moved off its prediction.
        public var visualStepMetres: HistogramSummary
        /// Mean input lead over playing client-seconds, ticks.
        public var meanLeadTicks: Double
        public var stallMillis: HistogramSummary
        public var downLoss: Double
        public var upLoss: Double
        public var bytesUpPerClientPerSecond: Double
        public var bytesDownPerClientPerSecond: Double
        public var wireBytesUpPerClientPerSecond: Double
        public var wireBytesDownPerClientPerSecond: Double
        public var fullFrameShare: Double
        public var correctionsPerClientSecond: Double
        public var resumes: Int
        public var lostInputs: Int
        public var errors: Int
        public var knee: KneeResult?
        /// What each injected fault cost, from its second to the next fault's (or the end).
        public var faultImpacts: [FaultImpact]
        public var violations: [String]
        public var passed: Bool
    }

    /// Reads a report written by kk-load (the summary is recomputed).
    public static func parse(_ data: Data) throws -> LoadReport {
        var r = try JSONDecoder().decode(LoadReport.self, from: data)
        r.finalize()
        return r
    }

    /// Pretty JSON with sorted keys.
    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// Adds `other` (another process's report of the same run) into this one.
    public mutating func merge(_ other: LoadReport) {
        startedUnix = startedUnix == 0 ? other.startedUnix : min(startedUnix, other.startedUnix)
        seconds = max(seconds, other.seconds)
        processes += other.processes
        workers += other.workers
        clientsPlanned += other.clientsPlanned
        gauges = gauges + other.gauges
        counters = counters + other.counters
        playingSeconds += other.playingSeconds
        latencyMicros.merge(other.latencyMicros)
        handshakeMicros.merge(other.handshakeMicros)
        correctionMm.merge(other.correctionMm)
        visualStepMm.merge(other.visualStepMm)
        stallMicros.merge(other.stallMicros)
        for (sec, h) in other.stallsBySecond { stallsBySecond[sec, default: LatencyHistogram()].merge(h) }
        for s in other.steps {
            if let i = steps.firstIndex(where: { $0.index == s.index }) {
                var m = steps[i]
                m.clients += s.clients
                m.playing += s.playing
                m.measuredSeconds = max(m.measuredSeconds, s.measuredSeconds)
                m.latencyMicros.merge(s.latencyMicros)
                m.counters = m.counters + s.counters
                m.failedBefore += s.failedBefore
                m.failedAtEnd += s.failedAtEnd
                m.cpuSum = m.cpuSum + s.cpuSum
                steps[i] = m
            } else {
                steps.append(s)
            }
        }
        steps.sort { $0.index < $1.index }
        // Per-second percentiles cannot be merged without their histograms: the merged line keeps
        // the larger p50/p99 (an upper bound) and sums the counts.
        for l in other.timeline {
            if let i = timeline.firstIndex(where: { $0.second == l.second }) {
                var m = timeline[i]
                m.started += l.started; m.playing += l.playing; m.failed += l.failed
                m.latencyCount += l.latencyCount
                m.p50Millis = max(m.p50Millis, l.p50Millis); m.p99Millis = max(m.p99Millis, l.p99Millis)
                m.downLoss = max(m.downLoss, l.downLoss); m.upLoss = max(m.upLoss, l.upLoss)
                m.bytesUp += l.bytesUp; m.bytesDown += l.bytesDown
                m.corrections += l.corrections; m.resumes += l.resumes; m.handshakes += l.handshakes
                m.inputsChecked += l.inputsChecked; m.inputsLost += l.inputsLost
                m.stalls += l.stalls; m.maxStallMillis = max(m.maxStallMillis, l.maxStallMillis)
                m.cpu = m.cpu + l.cpu
                timeline[i] = m
            } else {
                timeline.append(l)
            }
        }
        timeline.sort { $0.second < $1.second }
        faults += other.faults
        cpuSeconds = cpuSeconds + other.cpuSeconds
        for (k, v) in other.stackMetrics { stackMetrics[k, default: 0] += v }
        finalize()
    }

    /// Merges reports (nil when none).
    public static func merged(_ reports: [LoadReport]) -> LoadReport? {
        guard var first = reports.first else { return nil }
        for r in reports.dropFirst() { first.merge(r) }
        first.finalize()
        return first
    }

    /// Clients that ended with an error or never got to play.
    public var errors: Int { gauges.failed }

    /// Recomputes ``summary``.
    public mutating func finalize() {
        let cs = Double(max(1, playingSeconds))
        let frames = counters.framesFull + counters.framesDelta
        var knee: KneeResult?
        if let capacity { knee = KneeResult.find(steps, budget: capacity) }
        var s = Summary(
            latencyMillis: latencyMicros.summary(divisor: 1000), handshakeMillis: handshakeMicros.summary(divisor: 1000),
            correctionMetres: correctionMm.summary(divisor: 1000),
            visualStepMetres: visualStepMm.summary(divisor: 1000),
            meanLeadTicks: Double(counters.leadTickSeconds) / cs, stallMillis: stallMicros.summary(divisor: 1000),
            downLoss: counters.downLoss, upLoss: counters.upLoss,
            bytesUpPerClientPerSecond: Double(counters.bytesUp) / cs, bytesDownPerClientPerSecond: Double(counters.bytesDown) / cs,
            wireBytesUpPerClientPerSecond: Double(counters.wireBytesUp) / cs,
            wireBytesDownPerClientPerSecond: Double(counters.wireBytesDown) / cs,
            fullFrameShare: frames == 0 ? 0 : Double(counters.framesFull) / Double(frames),
            correctionsPerClientSecond: Double(counters.corrections) / cs, resumes: counters.resumes,
            lostInputs: counters.inputMisses, errors: errors, knee: knee,
            faultImpacts: FaultImpact.split(faults: faults, timeline: timeline, stallsBySecond: stallsBySecond), violations: [], passed: true)
        s.violations = Self.violations(self, s)
        s.passed = s.violations.isEmpty
        summary = s
    }

    static func violations(_ r: LoadReport, _ s: Summary) -> [String] {
        let t = r.thresholds
        var v: [String] = []
        if let x = t.p99LatencyMillis {
            if s.latencyMillis.count == 0 { v.append("no input latency samples (no frame confirmed an input)") }
            else if s.latencyMillis.p99 > x { v.append(String(format: "latency p99 %.1f ms > %.1f ms", s.latencyMillis.p99, x)) }
        }
        if let x = t.maxDownLoss, s.downLoss > x { v.append(String(format: "downlink loss %.3f%% > %.3f%%", s.downLoss * 100, x * 100)) }
        if let x = t.maxUpLoss, s.upLoss > x { v.append(String(format: "uplink loss %.3f%% > %.3f%%", s.upLoss * 100, x * 100)) }
        if let x = t.maxErrors, s.errors > x { v.append("errors \(s.errors) > \(x)") }
        if let x = t.maxBadPackets, r.counters.badPackets > x { v.append("bad packets \(r.counters.badPackets) > \(x)") }
        if let x = t.maxHandshakeP99Millis, s.handshakeMillis.p99 > x {
            v.append(String(format: "handshake p99 %.1f ms > %.1f ms", s.handshakeMillis.p99, x))
        }
        if let x = t.maxCorrectionP99Metres, s.correctionMetres.p99 > x {
            v.append(String(format: "correction p99 %.3f m > %.3f m", s.correctionMetres.p99, x))
        }
        if let x = t.maxCorrectionsPerClientSecond, s.correctionsPerClientSecond > x {
            v.append(String(format: "corrections %.2f per client-second > %.2f", s.correctionsPerClientSecond, x))
        }
        if r.capacity == nil, r.gauges.started < r.clientsPlanned { v.append("only \(r.gauges.started) of \(r.clientsPlanned) clients started") }
        return v
    }
}
