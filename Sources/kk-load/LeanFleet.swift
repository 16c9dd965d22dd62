import Foundation
import KKClientTransport
import KKDTLS
import KKLoad
import KKLoop
import KKToken
import KKWire
import Synchronization

/// A synthetic player without prediction, for the max-pps ramp: the SDK's DTLS transport (a
/// real handshake with the sealed token as PSK identity), a Hello, then input packets when the
/// fleet's pacer says so. Frames are acknowledged in the next input (so the relay sends deltas)
/// and their `lastAppliedSeq` gives the input -> authoritative-frame latency.
final class LeanClient {
    let transport: DTLSClientTransport
    var welcomed = false
    var ended = false
    /// Newest input sequence and tick sent.
    var seq: UInt32 = 0
    var tick: UInt32 = 0
    var ackFrameTick: UInt32 = 0
    var lastApplied: UInt32 = 0
    /// The server's tick in the Welcome and when it arrived (the first input's tick comes from them).
    var welcomeTick: UInt32 = 0
    var welcomeNanos: UInt64 = 0
    /// Newest frame tick seen (0: none yet), for the frames the tick gaps say were sent.
    var lastFrameTick: UInt32 = 0
    /// Send time (µs) of each recent sequence, indexed by `seq & mask`.
    var sentMicros = [UInt64](repeating: 0, count: LeanClient.ring)
    static let ring = 256

    init(transport: DTLSClientTransport) { self.transport = transport }
}

/// Cumulative counters of a ``LeanFleet`` (read by the ramp between levels).
struct LeanTotals: Sendable {
    var started = 0, welcomed = 0, failed = 0, disconnected = 0
    /// Clients welcomed and not closed, and clients still handshaking or joining, now.
    var active = 0, pending = 0
    /// Clients closed because the target went down, and clients whose match ended.
    var closed = 0, matchesOver = 0
    /// Input datagrams sent and the new inputs they carried.
    var sent = 0, inputsSent = 0
    var frames = 0, framesFull = 0, framesExpected = 0, badPackets = 0
    var bytesUp = 0, bytesDown = 0
}

/// Lean clients on one event-loop thread. The pacer (a 1 ms timer) accrues `clients x hz`
/// sends per second and spends them round-robin, so every welcomed client sends at `hz` and
/// sends are spread evenly, as udpbench's udpgen does. Shared state: the plan inbox, the
/// target client count, the totals and the histograms (each behind a Mutex or atomic). With an
/// outbox it sends a ``WorkerSample`` per second, like ``LoadWorker``, so `kk-load run` can
/// drive it; without one (`kk-load maxpps`) its histograms are read through their Mutexes.
final class LeanFleet: @unchecked Sendable, ClientWorker {
    let settings: WorkerSettings
    let hz: Int
    /// Inputs per packet (at least the new ones, 60 / hz; more are redundant copies).
    let redundancy: Int
    /// Ticks ahead of the server's tick (at welcome) the first input is for; the SDK adapts its
    /// lead to the RTT, lean clients use a fixed one large enough for a loaded loopback.
    let leadTicks: UInt32
    let frameEveryTicks: UInt32
    let plans = PlanInbox()
    /// Per-second samples for `kk-load run` (nil: maxpps reads ``latency``/``handshakes``).
    let outbox: (box: SampleBox, worker: Int)?
    private var second = 0
    private var secondLatency = LatencyHistogram()
    private var secondHandshake = LatencyHistogram()
    /// Most clients playing at once: beyond it the newest are closed (the ramp steps down while bisecting).
    let target = Atomic<Int>(Int.max)
    let totals = Mutex(LeanTotals())
    let latency = Mutex(LatencyHistogram())
    let handshakes = Mutex(LatencyHistogram())
    let stopRequested = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    let problems = Mutex<[String]>([])

    private var loop: EventLoop!
    private var context: DTLSClientContext!
    private var clients: [LeanClient] = []
    /// Some client ended since the last compaction of ``clients``.
    private var needsCompaction = false
    private var cursor = 0
    private var credit = 0.0
    private var lastPaceNanos: UInt64 = 0
    private var local = LeanTotals()
    private var scratch = [UInt8](repeating: 0, count: Limits.maxDatagramBytes)

    init(settings: WorkerSettings, leadTicks: UInt32, outbox: (box: SampleBox, worker: Int)?) {
        self.settings = settings
        hz = settings.scenario.inputHz
        redundancy = settings.scenario.inputRedundancy
        frameEveryTicks = UInt32(settings.scenario.frameEveryTicks)
        self.leadTicks = leadTicks
        self.outbox = outbox
    }

    var newPerPacket: UInt32 { UInt32(max(1, 60 / hz)) }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "kk-load-lean"
        t.stackSize = 8 << 20
        t.start()
    }

    private func run() {
        do {
            loop = try EventLoop()
            context = try DTLSClientContext()
        } catch {
            problems.withLock { $0.append("setup: \(error)") }
            finished.store(true, ordering: .releasing)
            return
        }
        let pacer = LoopTimer(loop: loop)
        lastPaceNanos = monotonicNanos()
        pacer.start(afterMillis: 1, repeatMillis: 1) { [unowned self] in self.pace() }
        loop.run()
        pacer.stop(); pacer.close()
        for c in clients where !c.ended { c.transport.close() }
        let flush = LoopTimer(loop: loop)
        flush.start(afterMillis: 100) { [unowned self] in self.loop.stop() }
        loop.run()
        flush.close()
        publish()
        publishSample(second: -1)
        clients.removeAll()
        for _ in 0..<20 { loop.runOnce(wait: false) }
        finished.store(true, ordering: .releasing)
    }

    private func pace() {
        let now = monotonicNanos()
        let ms = (now &- settings.runStartNanos) / 1_000_000
        if stopRequested.load(ordering: .relaxed) || ms > settings.hardStopMillis { loop.stop(); return }
        plans.startDue(nowMillis: ms, limit: 50) { if let t = $0.token { startClient(t) } }
        if Int(ms / 1000) > second {
            publishSample(second: second)
            second = Int(ms / 1000)
        }
        // Ended clients leave; beyond the target, the newest playing clients are closed.
        if needsCompaction { clients.removeAll(where: \.ended); cursor = 0; needsCompaction = false }
        var active = 0
        for c in clients where c.welcomed { active += 1 }
        let pending = clients.count - active
        var over = active - target.load(ordering: .relaxed)
        var i = clients.count - 1
        while over > 0, i >= 0 {
            let c = clients[i]
            if c.welcomed { end(c); local.closed += 1; c.transport.close(); over -= 1; active -= 1 }
            i -= 1
        }
        local.active = active
        local.pending = pending
        let dt = Double(now &- lastPaceNanos) / 1e9
        lastPaceNanos = now
        // At most one second behind: what is older than that is not sent (and shows as a
        // schedule the generator did not keep).
        credit = min(credit + Double(active * hz) * dt, Double(active * hz))
        var budget = Int(credit)
        credit -= Double(budget)
        var scanned = 0
        while budget > 0, !clients.isEmpty, scanned < clients.count * 2 {
            if cursor >= clients.count { cursor = 0 }
            let c = clients[cursor]
            cursor += 1
            scanned += 1
            guard c.welcomed, !c.ended else { continue }
            send(c)
            budget -= 1
            scanned = 0
        }
        publish()
    }

    private func end(_ c: LeanClient) {
        c.ended = true
        needsCompaction = true
    }

    private func startClient(_ token: ConnectToken) {
        local.started += 1
        guard let relay = token.relays.first.flatMap({ PeerAddress($0) }) else {
            local.failed += 1
            return
        }
        let transport: DTLSClientTransport
        do { transport = try DTLSClientTransport(loop: loop, relay: relay, token: token, context: context) } catch {
            local.failed += 1
            if local.failed <= 5 { problems.withLock { $0.append("client: \(error)") } }
            return
        }
        let c = LeanClient(transport: transport)
        transport.onState = { [unowned self, unowned c] state in
            switch state {
            case .established:
                let ms = (c.transport.establishedMillis ?? 0) &- c.transport.startedMillis
                if outbox != nil { secondHandshake.record(ms * 1000) } else { handshakes.withLock { $0.record(ms * 1000) } }
                let hello = HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1)
                sendPacket(hello, c)
            case .failed, .closed:
                if !c.ended { end(c); local.failed += 1 }
            case .handshaking: break
            }
        }
        transport.onPacket = { [unowned self, unowned c] bytes in self.received(bytes, c) }
        clients.append(c)
    }

    private func received(_ bytes: UnsafeRawBufferPointer, _ c: LeanClient) {
        local.bytesDown += bytes.count
        let message: RelayToClient
        do { message = try RelayToClient.decode(bytes) } catch { local.badPackets += 1; return }
        switch message {
        case .welcome(let w):
            guard !c.welcomed else { return }
            c.welcomed = true
            c.welcomeTick = w.serverTick
            c.welcomeNanos = monotonicNanos()
            c.seq = 0
            local.welcomed += 1
        case .frame(let f):
            local.frames += 1
            if f.baselineTick == nil { local.framesFull += 1 }
            let gap = Int32(bitPattern: f.tick &- c.lastFrameTick)
            if c.lastFrameTick == 0 { local.framesExpected += 1; c.lastFrameTick = f.tick }
            else if gap > 0 { local.framesExpected += Int((UInt32(gap) + frameEveryTicks / 2) / frameEveryTicks); c.lastFrameTick = f.tick }
            if Int32(bitPattern: f.tick &- c.ackFrameTick) > 0 { c.ackFrameTick = f.tick }
            // The server is at least at the frame's tick: inputs less than half the lead ahead
            // of it would arrive late (a Welcome sent before the match's first frame carries a
            // stale tick), so the next input jumps ahead; the shard repeats the skipped ticks.
            if c.seq > 0, Int32(bitPattern: c.tick &- f.tick) < Int32(leadTicks / 2) { c.tick = f.tick &+ leadTicks }
            let ahead = Int32(bitPattern: f.lastAppliedSeq &- c.lastApplied)
            if ahead > 0 {
                c.lastApplied = f.lastAppliedSeq
                if Int32(bitPattern: c.seq &- f.lastAppliedSeq) < Int32(LeanClient.ring) {
                    let sent = c.sentMicros[Int(f.lastAppliedSeq) & (LeanClient.ring - 1)]
                    let now = monotonicNanos() / 1000
                    if sent > 0, now >= sent {
                        if outbox != nil { secondLatency.record(now - sent) } else { latency.withLock { $0.record(now - sent) } }
                    }
                }
            }
        case .pong, .resumeTicket: break  // lean clients do not resume
        case .disconnect(let d):
            guard !c.ended else { return }
            end(c)
            if d.reason == .matchOver {
                local.matchesOver += 1
            } else {
                local.disconnected += 1
                if local.disconnected <= 5 { problems.withLock { $0.append("relay disconnected a client: \(d.reason)") } }
            }
        }
    }

    private func send(_ c: LeanClient) {
        let k = newPerPacket
        if c.seq == 0 {
            // First input: the server's tick now (welcome tick + time since) plus the lead; then
            // exactly k ticks per packet, which the pacer keeps in step with real time.
            let since = UInt32((monotonicNanos() &- c.welcomeNanos) * 60 / 1_000_000_000)
            c.tick = c.welcomeTick &+ since &+ leadTicks
        }
        c.seq &+= k
        c.tick &+= k
        var p = InputPacket(seq: c.seq, tick: c.tick, ackFrameTick: c.ackFrameTick)
        p.count = min(Int(c.seq), max(Int(k), redundancy), Limits.maxInputsPerPacket)
        for i in 0..<p.count { p.inputs[i] = InputSample(buttons: 0x01, steer: 0) }
        let now = monotonicNanos() / 1000
        for i in 0..<k { c.sentMicros[Int(c.seq &- i) & (LeanClient.ring - 1)] = now }
        sendPacket(p, c)
        local.sent += 1
        local.inputsSent += Int(k)
    }

    private func sendPacket<P: WirePacket>(_ p: P, _ c: LeanClient) {
        let n = WireWriter.write(into: &scratch) { (w) throws(WireError) in try p.encode(into: &w) }
        guard n > 0 else { return }
        local.bytesUp += n
        scratch.withUnsafeBytes { c.transport.send(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// The ``WorkerSample`` of the second that ended (`-1`: the final one, as the fleet stops).
    private func publishSample(second: Int) {
        guard let outbox else { return }
        var k = LoadCounters()
        k.handshakes = local.welcomed + local.failed
        k.handshakeFailures = local.failed
        k.framesReceived = local.frames; k.framesExpected = local.framesExpected
        k.framesFull = local.framesFull; k.framesDelta = local.frames - local.framesFull
        k.inputsRecorded = local.inputsSent; k.inputPacketsSent = local.sent
        k.bytesUp = local.bytesUp; k.bytesDown = local.bytesDown
        k.badPackets = local.badPackets
        var g = LoadGauges()
        g.started = local.started
        g.handshaking = local.pending
        g.playing = local.active
        g.failed = local.failed + local.disconnected
        g.ended = local.closed + local.matchesOver
        var sample = WorkerSample(worker: outbox.worker, second: second)
        sample.counters = k
        sample.gauges = g
        sample.latency = secondLatency
        sample.handshake = secondHandshake
        secondLatency.reset()
        secondHandshake.reset()
        outbox.box.put(sample)
    }

    // ClientWorker
    func enqueue(_ plan: ClientPlan) { plans.put(plan) }
    func requestStop() { stopRequested.store(true, ordering: .releasing) }
    var isFinished: Bool { finished.load(ordering: .acquiring) }
    var problemList: [String] { problems.withLock { $0 } }

    private func publish() {
        let snapshot = local
        totals.withLock { $0 = snapshot }
    }
}
