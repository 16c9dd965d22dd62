import ArgumentParser
import Foundation
import Glibc
import KKLoad
import KKLoop
import KKLocalStack
import KKToken

/// `kk-load maxpps`: the full path's max pps held (DTLS, validation, ordering, ENet, delta
/// frames), with lean clients so the generator is not what saturates first. Starts its own
/// stack (redis-server, one shard, one single-threaded relay), steps the offered input rate
/// up through `--levels` until a level fails udpbench's criterion, bisects, and writes a JSON
/// report. Traffic goes to 127.0.0.1 only; bounded by --max-clients and --max-seconds.
struct MaxPps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maxpps",
        abstract: "Max input pps held through the full DTLS path (lean clients, own stack, udpbench's criterion).")

    @Option(help: "Offered input pps levels, ascending, space-separated.") var levels = "10000 20000 30000 40000 60000 80000 100000"
    @Option(help: "Bisection steps after the first failing level.") var bisect = 2
    @Option(help: "Input packets per second per client (60, 30 or 20).") var hz = 60
    @Option(help: "Inputs per packet, at least the new ones (1 at 60 Hz = no redundancy, so loss is visible).") var redundancy = 1
    @Option(help: "Ticks of lead: how far ahead of the server's tick inputs are sent (late inputs count as lost).") var leadTicks: UInt32 = 6
    @Option(help: "Seconds to let a level settle before measuring.") var settleSeconds = 2.0
    @Option(help: "Measured seconds per level.") var windowSeconds = 3.0
    @Option(help: "Hard cap on clients.") var maxClients = 5000
    @Option(help: "Hard cap on the run's wall time, seconds.") var maxSeconds = 300
    @Option(help: "Relay worker processes (SO_REUSEPORT).") var relayWorkers = 1
    @Option(help: "Directory of kk-shard and kk-relay (default: next to kk-load).") var binDir: String?
    @Option(help: "Log directory of the spawned stack.") var logDir: String?
    @Option(help: "Use this redis-server (loopback) instead of starting one.") var redisPort: Int?
    @Option(help: "JSON report path.") var report = "kk-load-maxpps.json"

    struct Report: Codable {
        var hz: Int
        var redundancy: Int
        var levels: [PpsLevel]
        var maxHeldPps: Double?
        /// The measured level at `maxHeldPps`.
        var maxHeldLevel: PpsLevel?
        var handshakeMillis: HistogramSummary
        var failedClients: Int
        var note: String
    }

    func run() throws {
        let planned = levels.split(separator: " ").compactMap { Double($0) }
        guard !planned.isEmpty else { throw ValidationError("--levels: no numbers") }
        guard [20, 30, 60].contains(hz) else { throw ValidationError("--hz must be 60, 30 or 20") }
        guard (1...32).contains(redundancy) else { throw ValidationError("--redundancy must be 1...32") }
        let start = monotonicNanos()
        let elapsed = { Double(monotonicNanos() - start) / 1e9 }
        raiseFileLimit()

        var sc = Scenario()
        sc.name = "maxpps"
        sc.clients = maxClients
        sc.playersPerMatch = 8
        sc.relays = 1
        sc.shards = 1
        sc.client = .lean
        sc.inputHz = hz
        sc.inputRedundancy = redundancy
        let bin = binDir ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        let dir = logDir ?? "/tmp/kk-load-maxpps-\(getpid())"
        log("kk-load maxpps: starting stack (1 shard, 1 relay with \(relayWorkers) worker(s)); logs in \(dir)")
        let stack: Stack
        do { stack = try Stack.spawn(sc, binDir: bin, redisPort: redisPort, logDir: dir, relayWorkers: relayWorkers) } catch {
            log("kk-load: \(error)")
            throw ExitCode(2)
        }
        defer { stack.stop() }
        guard let redis = RedisSync(host: stack.redisHost, port: stack.redisPort) else { throw ExitCode(2) }
        var tokens = LocalTokenSource(redis: redis, issuer: try TokenIssuer(key: stack.key), prefix: stack.prefix,
                                      shards: stack.shardIds, relays: stack.relayAddresses, playersPerMatch: 8,
                                      ownershipTtlMillis: sc.ownershipTtlMillis, validSeconds: UInt64(maxSeconds + 120))
        let settings = WorkerSettings(scenario: sc, useProxy: false, runStartNanos: start, hardStopMillis: UInt64(maxSeconds + 10) * 1000)
        let fleet = LeanFleet(settings: settings, leadTicks: leadTicks, outbox: nil)
        fleet.start()
        defer {
            fleet.stopRequested.store(true, ordering: .releasing)
            let deadline = monotonicNanos() + 10_000_000_000
            while !fleet.finished.load(ordering: .acquiring) && monotonicNanos() < deadline { usleep(10_000) }
        }

        let ramp = PpsRamp(levels: planned, bisect: bisect)
        var results: [(pps: Double, held: Bool)] = []
        var measured: [PpsLevel] = []
        var issued = 0
        var cpu = CpuTracker()
        cpu.groups = ["generator": [getpid()], "relay": stack.relays.map(\.pid), "shard": stack.shards.map(\.pid)]
        log("kk-load maxpps: \(hz) Hz per client, \(redundancy) input(s) per packet; levels \(planned.map { Int($0) })")
        while let pps = ramp.next(after: results) {
            guard elapsed() < Double(maxSeconds) - settleSeconds - windowSeconds - 5 else { log("kk-load maxpps: time cap reached"); break }
            let want = min(PpsRamp.clients(forPps: pps, hz: hz), maxClients)
            // Bring the fleet to exactly `want` playing clients (new ones handshake; bounded).
            fleet.target.store(want, ordering: .relaxed)
            var attempts = 0
            let deadline = min(elapsed() + 30, Double(maxSeconds) - settleSeconds - windowSeconds - 2)
            while elapsed() < deadline {
                let t = fleet.totals.withLock { $0 }
                if t.active == want { break }
                if t.pending == 0, t.active < want, attempts < 5 {
                    attempts += 1
                    for _ in 0..<(want - t.active) {
                        do { fleet.enqueue(ClientPlan(index: issued, startAtMillis: 0, token: try tokens.token(for: issued))) } catch {
                            log("token: \(error)")
                            break
                        }
                        issued += 1
                    }
                    usleep(50_000)
                }
                usleep(20_000)
            }
            usleep(UInt32(settleSeconds * 1e6))
            let a = snapshot(fleet, stack, &cpu)
            fleet.latency.withLock { $0.reset() }
            usleep(UInt32(windowSeconds * 1e6))
            let b = snapshot(fleet, stack, &cpu)
            let lat = fleet.latency.withLock { $0 }
            let w = windowSeconds
            let relayDatagrams = (b.relayIn + b.relayOut - a.relayIn - a.relayOut) / w
            // Offered: the level asked for (clients x hz). Frames expected: every playing client
            // at the shards' frame rate (a total outage must show as loss).
            let level = PpsLevel(
                clients: b.fleet.active, offeredPps: Double(want * hz),
                sentPps: Double(b.fleet.sent - a.fleet.sent) / w, inputsSentPerSecond: Double(b.fleet.inputsSent - a.fleet.inputsSent) / w,
                inputsForwardedPerSecond: (b.forwarded - a.forwarded) / w, inputsAppliedPerSecond: (b.applied - a.applied) / w,
                framesExpectedPerSecond: Double(b.fleet.active * sc.frameHz), framesReceivedPerSecond: Double(b.fleet.frames - a.fleet.frames) / w,
                latencyMillis: lat.summary(divisor: 1000), generatorCpuPercent: b.cpu["generator"] ?? 0,
                relayCpuPercent: b.cpu["relay"] ?? 0, shardCpuPercent: b.cpu["shard"] ?? 0,
                relayDatagramsPerSecond: relayDatagrams,
                relayMicrosPerDatagram: relayDatagrams > 0 ? (b.cpu["relay"] ?? 0) / 100 * 1e6 / relayDatagrams : 0,
                failedClients: b.fleet.failed)
            let why = level.failure()
            results.append((pps, why == nil))
            measured.append(level)
            log(String(format: "level %6.0f pps (%4d clients): sent %6.0f/s, up loss %.2f%% (fwd %.0f, applied %.0f /s), down loss %.2f%%, latency p50 %.1f p99 %.1f ms | CPU gen %.0f%% relay %.0f%% shard %.0f%% | relay %.2f µs/datagram | %@",
                       pps, want, level.sentPps, level.upLoss * 100, level.inputsForwardedPerSecond, level.inputsAppliedPerSecond,
                       level.downLoss * 100, level.latencyMillis.p50, level.latencyMillis.p99, level.generatorCpuPercent,
                       level.relayCpuPercent, level.shardCpuPercent, level.relayMicrosPerDatagram, why ?? "held"))
        }
        let best = PpsRamp.maxHeld(results)
        let hs = fleet.handshakes.withLock { $0 }.summary(divisor: 1000)
        let bestLevel = best.flatMap { b in results.firstIndex { $0.pps == b && $0.held }.map { measured[$0] } }
        let out = Report(hz: hz, redundancy: redundancy, levels: measured, maxHeldPps: best, maxHeldLevel: bestLevel, handshakeMillis: hs,
                         failedClients: fleet.totals.withLock { $0.failed },
                         note: "held: sent >= 98% of the schedule, upstream (shard applied) and downstream (frames) loss <= 1%")
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(out).write(to: URL(fileURLWithPath: report))
        log("kk-load maxpps: max held \(best.map { String(Int($0)) } ?? "none") input pps; handshake p50 \(hs.p50) ms p99 \(hs.p99) ms; report \(report)")
    }

    struct Snapshot {
        var fleet: LeanTotals
        var relayIn = 0.0, relayOut = 0.0, forwarded = 0.0, applied = 0.0
        var cpu: [String: Double] = [:]
    }

    func snapshot(_ fleet: LeanFleet, _ stack: Stack, _ cpu: inout CpuTracker) -> Snapshot {
        var s = Snapshot(fleet: fleet.totals.withLock { $0 })
        s.cpu = cpu.sample(wallNanos: monotonicNanos())
        let m = stack.metrics()
        s.relayIn = m["kk_relay_datagrams_total{direction=\"in\"}"] ?? 0
        s.relayOut = m["kk_relay_datagrams_total{direction=\"out\"}"] ?? 0
        s.forwarded = m["kk_relay_inputs_forwarded_total"] ?? 0
        s.applied = m["kk_shard_inputs_applied_total"] ?? 0
        return s
    }
}
