/// CPU used by each part of the system over a window, percent of one core.
public struct CpuShare: Sendable, Equatable, Codable {
    public var generator: Double = 0
    public var relays: Double = 0
    public var shards: Double = 0
    public var redis: Double = 0
    public init(generator: Double = 0, relays: Double = 0, shards: Double = 0, redis: Double = 0) {
        self.generator = generator; self.relays = relays; self.shards = shards; self.redis = redis
    }
    public static func + (a: CpuShare, b: CpuShare) -> CpuShare {
        CpuShare(generator: a.generator + b.generator, relays: a.relays + b.relays, shards: a.shards + b.shards, redis: a.redis + b.redis)
    }
    public func scaled(_ f: Double) -> CpuShare { CpuShare(generator: generator * f, relays: relays * f, shards: shards * f, redis: redis * f) }
}

/// One second of the run (the live line on stderr and the report's timeline).
public struct SecondLine: Sendable, Equatable, Codable {
    public var second: Int
    public var started = 0
    public var playing = 0
    public var failed = 0
    /// Inputs confirmed this second and their latency percentiles, ms.
    public var latencyCount = 0
    public var p50Millis: Double = 0
    public var p99Millis: Double = 0
    public var downLoss: Double = 0
    public var upLoss: Double = 0
    public var bytesUp = 0
    public var bytesDown = 0
    public var corrections = 0
    public var resumes = 0
    public var handshakes = 0
    /// Inputs checked against frames this second and those the shard never applied.
    public var inputsChecked = 0
    public var inputsLost = 0
    /// Confirmation gaps longer than the scenario's stall threshold that ended this second, and the longest, ms.
    public var stalls = 0
    public var maxStallMillis: Double = 0
    /// Relay changes (failovers, any reason) this second.
    public var relayChanges = 0
    public var cpu = CpuShare()

    public init(second: Int) { self.second = second }

    /// The one-line live summary.
    public var text: String {
        func pct(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        return String(format: "t=%3ds clients %d playing %d failed %d | lat p50 %.0f p99 %.0f ms (%d) | loss down %@ up %@ | ",
                      second, started, playing, failed, p50Millis, p99Millis, latencyCount, pct(downLoss), pct(upLoss))
            + String(format: "kB/s up %.1f down %.1f | corr %d hs %d resumes %d | cpu gen %.0f%% relay %.0f%% shard %.0f%%",
                     Double(bytesUp) / 1000, Double(bytesDown) / 1000, corrections, handshakes, resumes,
                     cpu.generator, cpu.relays, cpu.shards)
    }
}

/// Figures of one ramp step (its steady part: the step minus its settle seconds).
public struct StepResult: Sendable, Equatable, Codable {
    public var index: Int
    /// Clients the schedule had started by this step.
    public var clients: Int
    /// Mean clients playing over the measured seconds.
    public var playing: Double = 0
    public var measuredSeconds = 0
    public var latencyMicros = LatencyHistogram()
    public var counters = LoadCounters()
    /// Clients failed before the step began and at its end (cumulative).
    public var failedBefore = 0
    public var failedAtEnd = 0
    /// Summed CPU percent over the measured seconds (divide by measuredSeconds for the mean).
    public var cpuSum = CpuShare()

    public init(index: Int, clients: Int) { self.index = index; self.clients = clients }

    public var p99Millis: Double { Double(latencyMicros.value(at: 99)) / 1000 }
    public var p50Millis: Double { Double(latencyMicros.value(at: 50)) / 1000 }
    public var loss: Double { max(counters.downLoss, counters.upLoss) }
    /// Clients that failed during this step.
    public var failures: Int { max(0, failedAtEnd - failedBefore) }
    public var cpuMean: CpuShare { measuredSeconds == 0 ? CpuShare() : cpuSum.scaled(1 / Double(measuredSeconds)) }

    /// Whether the step held the budget (latency p99, loss both ways, no failed client, mostly playing).
    public func within(_ b: Scenario.CapacityBudget) -> Bool {
        measuredSeconds > 0 && latencyMicros.count > 0 && p99Millis <= b.p99Millis && loss <= b.maxLoss
            && failures == 0 && playing >= Double(clients) * 0.99
    }
}

/// The capacity knee: the most clients held within budget before the first step that broke it.
public struct KneeResult: Sendable, Equatable, Codable {
    public var clients: Int
    public var p99Millis: Double
    public var loss: Double
    /// The first step over budget (nil: the ramp ended first, so the knee is a lower bound).
    public var brokeAtClients: Int?
    public var brokeBecause: String?

    /// Finds the knee in `steps` (in ramp order).
    public static func find(_ steps: [StepResult], budget: Scenario.CapacityBudget) -> KneeResult? {
        var best: StepResult?
        for s in steps {
            if s.within(budget) { best = s; continue }
            guard s.measuredSeconds > 0 else { continue }
            var why: [String] = []
            if s.latencyMicros.count == 0 { why.append("no latency samples") }
            if s.p99Millis > budget.p99Millis { why.append(String(format: "p99 %.1f ms > %.1f", s.p99Millis, budget.p99Millis)) }
            if s.loss > budget.maxLoss { why.append(String(format: "loss %.2f%% > %.2f%%", s.loss * 100, budget.maxLoss * 100)) }
            if s.failures > 0 { why.append("\(s.failures) clients failed") }
            if s.playing < Double(s.clients) * 0.99 { why.append(String(format: "only %.0f of %d playing", s.playing, s.clients)) }
            return KneeResult(clients: best?.clients ?? 0, p99Millis: best?.p99Millis ?? 0, loss: best?.loss ?? 0,
                              brokeAtClients: s.clients, brokeBecause: why.joined(separator: ", "))
        }
        guard let best else { return nil }
        return KneeResult(clients: best.clients, p99Millis: best.p99Millis, loss: best.loss, brokeAtClients: nil, brokeBecause: nil)
    }
}
