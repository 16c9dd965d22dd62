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
    /// Clients closed because the target went down.
    var closed = 0
    /// Input datagrams the pacer owed (offered) and sent.
    var scheduled = 0.0
    var sent = 0, inputsSent = 0
    var frames = 0, framesFull = 0, badPackets = 0
    var bytesUp = 0, bytesDown = 0
}

/// Lean clients on one event-loop thread. The pacer (a 1 ms timer) accrues `clients x hz`
/// sends per second and spends them round-robin, so every welcomed client sends at `hz` and
/// sends are spread evenly, as udpbench's udpgen does. Shared state: the inbox of tokens, the
/// target client count, the totals and the latency histogram (each behind a Mutex or atomic).
final class LeanFleet: @unchecked Sendable {
    let hz: Int
    /// Inputs per packet beyond the new ones (redundancy); new ones per packet = 60 / hz.
    let redundancy: Int
    /// Ticks ahead of the server's tick (at welcome) the first input is for; the SDK adapts its
    /// lead to the RTT, lean clients use a fixed one large enough for a loaded loopback.
    let leadTicks: UInt32
    let inbox = Mutex<[ConnectToken]>([])
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
    private var cursor = 0
    private var credit = 0.0
    private var lastPaceNanos: UInt64 = 0
    private var local = LeanTotals()
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 16)

    init(hz: Int, redundancy: Int, leadTicks: UInt32) {
        self.hz = hz
        self.redundancy = redundancy
        self.leadTicks = leadTicks
    }

    deinit { scratch.deallocate() }

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
        clients.removeAll()
        for _ in 0..<20 { loop.runOnce(wait: false) }
        finished.store(true, ordering: .releasing)
    }

    private func pace() {
        if stopRequested.load(ordering: .relaxed) { loop.stop(); return }
        let fresh = inbox.withLock { box -> [ConnectToken] in let b = box; box.removeAll(); return b }
        for t in fresh { startClient(t) }
        // Ended clients leave; beyond the target, the newest playing clients are closed.
        if clients.contains(where: \.ended) { clients.removeAll(where: \.ended); cursor = 0 }
        var over = clients.reduce(0) { $0 + ($1.welcomed ? 1 : 0) } - target.load(ordering: .relaxed)
        var i = clients.count - 1
        while over > 0, i >= 0 {
            let c = clients[i]
            if c.welcomed { c.transport.close(); c.ended = true; local.closed += 1; over -= 1 }
            i -= 1
        }
        let now = monotonicNanos()
        let dt = Double(now &- lastPaceNanos) / 1e9
        lastPaceNanos = now
        var active = 0, pending = 0
        for c in clients where !c.ended { if c.welcomed { active += 1 } else { pending += 1 } }
        local.active = active
        local.pending = pending
        let owed = Double(active * hz) * dt
        local.scheduled += owed
        // At most one second behind: what is older than that is not sent (and shows as a
        // schedule the generator did not keep).
        credit = min(credit + owed, Double(active * hz))
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
                handshakes.withLock { $0.record(ms * 1000) }
                let hello = HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1)
                sendPacket(hello, c)
            case .failed, .closed:
                if !c.ended { c.ended = true; local.failed += 1 }
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
            c.tick = w.serverTick &+ leadTicks
            c.seq = 0
            local.welcomed += 1
        case .frame(let f):
            local.frames += 1
            if f.baselineTick == nil { local.framesFull += 1 }
            if Int32(bitPattern: f.tick &- c.ackFrameTick) > 0 { c.ackFrameTick = f.tick }
            let ahead = Int32(bitPattern: f.lastAppliedSeq &- c.lastApplied)
            if ahead > 0 {
                c.lastApplied = f.lastAppliedSeq
                if Int32(bitPattern: c.seq &- f.lastAppliedSeq) < Int32(LeanClient.ring) {
                    let sent = c.sentMicros[Int(f.lastAppliedSeq) & (LeanClient.ring - 1)]
                    let now = monotonicNanos() / 1000
                    if sent > 0, now >= sent { latency.withLock { $0.record(now - sent) } }
                }
            }
        case .pong: break
        case .disconnect:
            if !c.ended { c.ended = true; local.disconnected += 1 }
        }
    }

    private func send(_ c: LeanClient) {
        let k = newPerPacket
        c.seq &+= k
        c.tick &+= k
        var p = InputPacket(seq: c.seq, tick: c.tick, ackFrameTick: c.ackFrameTick)
        p.count = min(Int(c.seq), max(Int(k), redundancy), Limits.maxInputsPerPacket)
        for i in 0..<p.count { p.inputs[i] = InputSample(buttons: 0x01, steer: 0) }
        c.sentMicros[Int(c.seq) & (LeanClient.ring - 1)] = monotonicNanos() / 1000
        sendPacket(p, c)
        local.sent += 1
        local.inputsSent += Int(k)
    }

    private func sendPacket<P: WirePacket>(_ p: P, _ c: LeanClient) {
        var w = WireWriter(scratch)
        do { try p.encode(into: &w) } catch { return }
        local.bytesUp += w.count
        c.transport.send(w.written)
    }

    private func publish() {
        let snapshot = local
        totals.withLock { $0 = snapshot }
    }
}
