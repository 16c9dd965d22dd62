/// Merges the per-second samples of every worker into the live line, the run's histograms and
/// the per-step windows. Pure: the caller supplies samples, CPU shares and the step schedule.
public struct LoadAggregator: Sendable {
    public let workers: Int
    public let stepSeconds: Int
    public let settleSeconds: Int
    private var latest: [Int: (LoadCounters, LoadGauges)] = [:]
    private var pending: [Int: [WorkerSample]] = [:]
    private var previous = LoadCounters()
    public private(set) var latency = LatencyHistogram()
    public private(set) var handshake = LatencyHistogram()
    public private(set) var correctionMm = LatencyHistogram()
    public private(set) var visualStepMm = LatencyHistogram()
    public private(set) var stalls = LatencyHistogram()
    public private(set) var timeline: [SecondLine] = []
    /// Each second's confirmation gaps (stalls), for per-fault percentiles; seconds without any are left out.
    public private(set) var stallsBySecond: [Int: LatencyHistogram] = [:]
    public private(set) var steps: [StepResult] = []
    /// Sum over seconds of clients playing (client-seconds of play).
    public private(set) var playingSeconds = 0
    public private(set) var cpuSeconds = CpuShare()

    public init(workers: Int, stepSeconds: Int, settleSeconds: Int) {
        self.workers = workers
        self.stepSeconds = max(1, stepSeconds)
        self.settleSeconds = settleSeconds
    }

    public mutating func add(_ s: WorkerSample) {
        pending[s.second, default: []].append(s)
        latest[s.worker] = (s.counters, s.gauges)
    }

    /// The latest cumulative counters of one worker (nil before its first sample).
    public func latestCounters(of worker: Int) -> LoadCounters? { latest[worker]?.0 }

    /// Samples received for `second` so far.
    public func arrived(_ second: Int) -> Int { pending[second]?.count ?? 0 }

    /// Latest cumulative counters and gauges over all workers.
    public var counters: LoadCounters { latest.values.reduce(LoadCounters()) { $0 + $1.0 } }
    public var gauges: LoadGauges { latest.values.reduce(LoadGauges()) { $0 + $1.1 } }

    /// Closes `second` (with whatever arrived), with the clients the schedule had started by then.
    public mutating func close(second: Int, scheduledClients: Int, cpu: CpuShare) -> SecondLine {
        let samples = pending.removeValue(forKey: second) ?? []
        var lat = LatencyHistogram()
        var stalled = LatencyHistogram()
        for s in samples {
            lat.merge(s.latency)
            handshake.merge(s.handshake)
            correctionMm.merge(s.correctionMm)
            visualStepMm.merge(s.visualStepMm)
            stalled.merge(s.stalls)
        }
        stalls.merge(stalled)
        latency.merge(lat)
        let total = counters, g = gauges
        let d = total - previous
        previous = total
        var line = SecondLine(second: second)
        line.started = g.started; line.playing = g.playing; line.failed = g.failed
        line.latencyCount = Int(lat.count)
        line.p50Millis = Double(lat.value(at: 50)) / 1000
        line.p99Millis = Double(lat.value(at: 99)) / 1000
        line.downLoss = d.downLoss; line.upLoss = d.upLoss
        line.bytesUp = d.bytesUp; line.bytesDown = d.bytesDown
        line.corrections = d.corrections; line.resumes = d.resumes; line.handshakes = d.handshakes
        line.inputsChecked = d.inputChecks; line.inputsLost = d.inputMisses
        line.stalls = Int(stalled.count); line.maxStallMillis = Double(stalled.max) / 1000
        line.relayChanges = d.relayChanges
        if stalled.count > 0 { var kept = stalled; kept.compact(); stallsBySecond[second] = kept }
        line.cpu = cpu
        timeline.append(line)
        playingSeconds += g.playing
        cpuSeconds = cpuSeconds + cpu.scaled(0.01)
        // Step window.
        let index = second / stepSeconds
        while steps.count <= index {
            // A finished step keeps its latency figures in its non-empty buckets only.
            if !steps.isEmpty { steps[steps.count - 1].latencyMicros.compact() }
            var step = StepResult(index: steps.count, clients: scheduledClients)
            step.failedBefore = steps.last?.failedAtEnd ?? 0
            steps.append(step)
        }
        steps[index].clients = max(steps[index].clients, scheduledClients)
        steps[index].failedAtEnd = g.failed
        if second % stepSeconds >= settleSeconds {
            let n = Double(steps[index].measuredSeconds)
            steps[index].playing = (steps[index].playing * n + Double(g.playing)) / (n + 1)
            steps[index].measuredSeconds += 1
            steps[index].latencyMicros.merge(lat)
            steps[index].counters = steps[index].counters + d
            steps[index].cpuSum = steps[index].cpuSum + cpu
        }
        return line
    }

    /// Takes the workers' last samples (sent as they stop): their counters become the final
    /// totals and their partial-second histograms join the run's.
    public mutating func absorbFinal(_ samples: [WorkerSample]) {
        for s in samples {
            latest[s.worker] = (s.counters, s.gauges)
            latency.merge(s.latency)
            handshake.merge(s.handshake)
            correctionMm.merge(s.correctionMm)
            visualStepMm.merge(s.visualStepMm)
            stalls.merge(s.stalls)
        }
    }
}
