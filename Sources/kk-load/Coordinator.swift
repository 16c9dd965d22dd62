import Foundation
import Glibc
import KKLoad
import KKLocalStack
import KKLoop
import KKToken
import Synchronization

/// Runs a scenario: hands clients to the workers on the ramp schedule (tokens from the token
/// source), injects faults by pid, closes each second (live line on stderr, CPU split), stops
/// at the planned end, at the capacity knee or at the hard cap, and builds the report.
final class Coordinator {
    let scenario: Scenario
    let stack: Stack
    var tokens: any TokenSource
    let clients: Int
    let hardCapSeconds: Int
    let useProxy: Bool
    let quiet: Bool
    /// Called with each closed second and the faults so far (the live admin endpoint).
    var onSecond: ((SecondLine, [LoadReport.FaultRecord]) -> Void)?
    /// The track the matches race.
    var track = "oval"

    init(scenario: Scenario, stack: Stack, tokens: any TokenSource, clients: Int, hardCapSeconds: Int, useProxy: Bool, quiet: Bool) {
        self.scenario = scenario
        self.stack = stack
        self.tokens = tokens
        self.clients = clients
        self.hardCapSeconds = hardCapSeconds
        self.useProxy = useProxy
        self.quiet = quiet
    }

    /// Lean clients cannot see which of their inputs the shard missed, so each second the
    /// shards' applied-input counter (their /metrics, synced once a second) stands in: a
    /// pseudo-worker sample whose cumulative checks are the inputs sent and whose misses are
    /// those not applied (yet). The counter lags up to a second, so while the run goes the
    /// misses are kept monotone (a cumulative count never goes back; the lag evens out over a
    /// step's seconds); the final sample (`second` -1, taken after the counters settled) is exact.
    func leanUplinkSample(second: Int, agg: LoadAggregator, worker: Int) -> WorkerSample {
        let applied = Int(stack.scrape(stack.shards, ["kk_shard_inputs_applied_total"])["kk_shard_inputs_applied_total"] ?? 0)
        let sent = agg.counters.inputsRecorded  // the pseudo-worker itself records none
        let floor = second < 0 ? 0 : agg.latestCounters(of: worker)?.inputMisses ?? 0
        var sample = WorkerSample(worker: worker, second: second)
        sample.counters.inputChecks = sent
        sample.counters.inputMisses = max(floor, sent - applied)
        return sample
    }

    /// Milliseconds after the start at which client `i` joins.
    func startMillis(_ i: Int) -> UInt64 {
        let r = scenario.ramp
        let step = i / r.stepClients, within = i % r.stepClients
        return UInt64(step * r.stepSeconds * 1000 + within * r.spreadMillis / r.stepClients)
    }

    func run() -> LoadReport {
        let sc = scenario
        let threads = sc.threads
        let start = monotonicNanos()
        let startedUnix = Date().timeIntervalSince1970
        let outbox = SampleBox()
        let rematches = Mailbox<NextRaceRequest>()
        let settings = WorkerSettings(scenario: sc, useProxy: useProxy, runStartNanos: start,
                                      hardStopMillis: UInt64(hardCapSeconds + 10) * 1000, track: track)
        let workers: [any ClientWorker] = (0..<threads).map { i in
            switch sc.client {
            case .sdk: return LoadWorker(index: i, settings: settings, outbox: outbox, rematches: rematches)
            case .lean:
                // Lead: the Welcome's tick is the newest frame's, up to a frame interval old.
                return LeanFleet(settings: settings, leadTicks: UInt32(6 + sc.frameEveryTicks), outbox: (outbox, i))
            }
        }
        workers.forEach { $0.start() }
        let pseudo = sc.client == .lean && !stack.shards.isEmpty ? 1 : 0
        var agg = LoadAggregator(workers: threads + pseudo, stepSeconds: sc.ramp.stepSeconds, settleSeconds: sc.ramp.settleSeconds)
        var cpu = CpuTracker()
        cpu.groups = ["generator": [getpid()], "relays": stack.relays.map(\.pid), "shards": stack.shards.map(\.pid),
                      "redis": stack.redis.map { [$0.pid] } ?? []]
        _ = cpu.sample(wallNanos: start)
        var report = LoadReport(scenario: sc.name)
        var dispatched = 0, nextClose = 0, breaks = 0
        var faults = sc.faults.sorted { $0.atSeconds < $1.atSeconds }
        let planned = UInt64(sc.plannedSeconds) * 1000
        let cap = UInt64(hardCapSeconds) * 1000
        var finals: [WorkerSample] = []
        var tokenErrors = 0, rematchTokenErrors = 0
        var nextRaces: [(index: Int, race: Int, since: UInt64, retryAt: UInt64)] = []
        while true {
            let now = (monotonicNanos() - start) / 1_000_000
            if now >= planned || now >= cap { break }
            // Hand out clients starting within the next 300 ms.
            while dispatched < clients, startMillis(dispatched) <= now + 300 {
                do {
                    let t = try tokens.token(for: dispatched)
                    let w = (dispatched / sc.playersPerMatch) % threads
                    let plan = ClientPlan(index: dispatched, startAtMillis: startMillis(dispatched), token: t)
                    workers[w].enqueue(plan)
                } catch {
                    tokenErrors += 1
                    if tokenErrors <= 5 { log("token for client \(dispatched): \(error)") }
                }
                dispatched += 1
            }
            // Clients whose race ended join the next one (scenario `rematch`), at once; a token
            // the source could not give (Redis restarting) is asked again every 500 ms, for 30 s.
            for r in rematches.take() { nextRaces.append((r.index, r.race, now, now)) }
            while let i = nextRaces.firstIndex(where: { $0.retryAt <= now }) {
                let r = nextRaces.remove(at: i)
                var t: ConnectToken?
                do { t = try tokens.nextRaceToken(for: r.index, race: r.race) } catch {
                    if now - r.since < 30_000 {
                        nextRaces.append((r.index, r.race, r.since, now + 500))
                        continue
                    }
                    rematchTokenErrors += 1
                    if rematchTokenErrors <= 5 { log("token for client \(r.index), race \(r.race): \(error)") }
                }
                workers[(r.index / sc.playersPerMatch) % threads].enqueue(ClientPlan(index: r.index, startAtMillis: now, token: t, race: r.race))
            }
            while let f = faults.first, Double(now) / 1000 >= f.atSeconds {
                faults.removeFirst()
                let members = f.kill == .relay ? stack.relays : stack.shards
                guard f.index < members.count else { log("fault: no \(f.kill) #\(f.index)"); continue }
                let m = members[f.index]
                stack.kill(m)
                report.faults.append(.init(atSeconds: Double(now) / 1000, target: "\(f.kill.rawValue) \(m.name)", pid: m.pid))
                log(String(format: "t=%.1fs FAULT: killed %@ %@ (pid %d)", Double(now) / 1000, f.kill.rawValue, m.name, m.pid))
            }
            for s in outbox.take() {
                if s.second < 0 { finals.append(s) } else { agg.add(s) }
            }
            let boundary = UInt64(nextClose + 1) * 1000
            if now >= boundary + 50, agg.arrived(nextClose) >= threads || now >= boundary + 700 {
                if pseudo == 1 { agg.add(leanUplinkSample(second: nextClose, agg: agg, worker: threads)) }
                let shares = cpu.sample(wallNanos: monotonicNanos())
                let scheduled = min(dispatched, (0..<clients).prefix { startMillis($0) < boundary }.count)
                let line = agg.close(second: nextClose, scheduledClients: scheduled,
                                     cpu: CpuShare(generator: shares["generator"] ?? 0, relays: shares["relays"] ?? 0,
                                                   shards: shares["shards"] ?? 0, redis: shares["redis"] ?? 0))
                if !quiet { log(line.text) }
                onSecond?(line, report.faults)
                // Capacity: a step that broke the budget ends the ramp (after stepsAfterBreak more).
                if let budget = sc.capacity, (nextClose + 1) % sc.ramp.stepSeconds == 0, let step = agg.steps.last,
                   step.measuredSeconds > 0, !step.within(budget) {
                    breaks += 1
                    log("step \(step.index) (\(step.clients) clients) over budget")
                    if breaks > budget.stepsAfterBreak { nextClose += 1; break }
                }
                nextClose += 1
            }
            usleep(5_000)
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        for w in workers { w.requestStop() }
        let deadline = monotonicNanos() + 15_000_000_000
        while workers.contains(where: { !$0.isFinished }) && monotonicNanos() < deadline { usleep(10_000) }
        for s in outbox.take() where s.second < 0 { finals.append(s) }
        agg.absorbFinal(finals)
        // The relays' and shards' counters are synced to /metrics once a second (and inputs in
        // flight land): wait, so the final figures (lean uplink loss, the stack's input
        // accounting) are taken from settled counters.
        if !stack.shards.isEmpty || !stack.relays.isEmpty { usleep(1_300_000) }
        if pseudo == 1 { agg.absorbFinal([leanUplinkSample(second: -1, agg: agg, worker: threads)]) }
        for (i, w) in workers.enumerated() { for p in w.problemList.prefix(5) { log("worker \(i): \(p)") } }
        report.startedUnix = startedUnix
        report.seconds = elapsed
        report.workers = threads
        report.clientsPlanned = clients
        report.gauges = agg.gauges
        // (A next race's failed token is counted by its worker: a failed client.)
        report.gauges.started += tokenErrors
        report.gauges.failed += tokenErrors
        report.counters = agg.counters
        report.playingSeconds = agg.playingSeconds
        report.latencyMicros = agg.latency
        report.handshakeMicros = agg.handshake
        report.correctionMm = agg.correctionMm
        report.visualStepMm = agg.visualStepMm
        report.stallMicros = agg.stalls
        report.stallsBySecond = agg.stallsBySecond
        report.steps = agg.steps
        report.timeline = agg.timeline
        report.cpuSeconds = agg.cpuSeconds
        report.stackMetrics = stack.metrics()
        report.thresholds = sc.thresholds
        report.capacity = sc.capacity
        report.finalize()
        return report
    }
}

/// A line on stderr.
func log(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
