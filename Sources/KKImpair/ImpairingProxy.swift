import KKBytes
import KKLoad
import KKLoop

/// An in-process user-space impairing UDP proxy on one event loop (tc netem is not available
/// here). One front socket per relay; every client address seen on a front gets its own
/// upstream socket (so the relay sees one source address per client, as without the proxy)
/// and its own seeded ``ImpairmentModel`` per direction. Delayed datagrams wait in a heap of
/// preallocated slots served by one loop timer. A client address silent for
/// ``idleExpiryMicros`` (a client that moved to another relay has a new address) gives its
/// upstream socket back and its session slot is used again. Loop-thread only.
public final class ImpairingProxy {
    private struct Front {
        let socket: BatchedUDPSocket
        let poll: LoopPoll
        let relay: PeerAddress
        var sessions: [PeerAddress: Int] = [:]
    }

    private final class Session {
        let front: Int
        let client: PeerAddress
        /// nil once expired (the socket closes with it).
        var upstream: BatchedUDPSocket?
        var poll: LoopPoll?
        var up: ImpairmentModel
        var down: ImpairmentModel
        var lastActiveMicros: Int64
        init(front: Int, client: PeerAddress, upstream: BatchedUDPSocket, up: ImpairmentModel, down: ImpairmentModel, now: Int64) {
            self.front = front; self.client = client; self.upstream = upstream; self.up = up; self.down = down
            lastActiveMicros = now
        }
    }

    private struct Pending {
        var at: Int64
        var order: UInt64
        var session: Int32
        var toRelay: Bool
        var slot: Int32
        var length: Int32
        func before(_ o: Pending) -> Bool { at != o.at ? at < o.at : order < o.order }
    }

    private let loop: EventLoop
    private let impairment: LinkImpairment
    private let seed: UInt64
    private var fronts: [Front] = []
    private var frontOf: [String: Int] = [:]
    private var sessions: [Session] = []
    /// Expired sessions' slots, used again before the array grows.
    private var freeSessions: [Int] = []
    private var lastSweepMicros: Int64 = 0
    /// Sessions opened so far (each one's impairment seed).
    private var opened = 0
    /// A session (client address) silent this long is closed, µs.
    public var idleExpiryMicros: Int64 = 15_000_000
    /// Sessions open now (upstream sockets held).
    public var openSessions: Int { sessions.count - freeSessions.count }
    private var heap: [Pending] = []
    private var order: UInt64 = 0
    private let timer: LoopTimer
    private var armedAt: Int64 = .max
    private let slotBytes = Limits.maxCiphertextDatagramBytes
    private let maxSlots: Int
    private var slots: UnsafeMutableRawPointer
    private var slotCount: Int
    private var free: [Int32] = []
    private var touched: [Int32] = []
    private var frontTouched = Set<Int>()

    /// Datagrams and bytes through the proxy, and what the impairment did.
    public private(set) var bytesUp = 0, bytesDown = 0, dropped = 0, duplicated = 0, reordered = 0, overflow = 0
    /// Of `dropped`, those lost in a burst; datagrams a delay spike held back.
    public private(set) var burstDropped = 0, spiked = 0

    public init(loop: EventLoop, impairment: LinkImpairment, seed: UInt64, maxQueued: Int = 1 << 17) {
        self.loop = loop
        self.impairment = impairment
        self.seed = seed
        maxSlots = maxQueued
        slotCount = 1024
        slots = .allocate(byteCount: slotCount * slotBytes, alignment: 16)
        free = (0..<Int32(slotCount)).reversed()
        timer = LoopTimer(loop: loop)
    }

    deinit { slots.deallocate() }

    /// The local address clients should use for `relay` ("host:port"); opens the front on first use.
    public func frontAddress(for relay: String) throws -> String {
        if let i = frontOf[relay] { return fronts[i].socket.localAddress.description }
        guard let r = PeerAddress(relay) else { throw IOError("bad relay address \(relay)", code: -22) }
        let s = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!, batch: 32, socketBufferBytes: 4 << 20)
        let p = try LoopPoll(loop: loop, fd: s.fd)
        let index = fronts.count
        fronts.append(Front(socket: s, poll: p, relay: r))
        frontOf[relay] = index
        p.start(.readable) { [unowned self] _ in self.frontReadable(index) }
        return s.localAddress.description
    }

    /// Stops every poll and the timer.
    public func close() {
        timer.stop(); timer.close()
        for f in fronts { f.poll.stop(); f.poll.close() }
        for s in sessions { s.poll?.stop(); s.poll?.close() }
    }

    /// Closes sessions silent for ``idleExpiryMicros`` (at most once a second). A datagram still
    /// queued for one is dropped when due.
    private func sweep(now: Int64) {
        guard now >= lastSweepMicros + 1_000_000 else { return }
        lastSweepMicros = now
        for (id, s) in sessions.enumerated() where s.upstream != nil && now - s.lastActiveMicros > idleExpiryMicros {
            s.poll?.stop(); s.poll?.close(); s.poll = nil
            s.upstream = nil
            fronts[s.front].sessions[s.client] = nil
            freeSessions.append(id)
        }
    }

    private func nowMicros() -> Int64 { Int64(monotonicNanos() / 1000) }

    private func frontReadable(_ f: Int) {
        let now = nowMicros()
        fronts[f].socket.receive { bytes, from in
            bytesUp += bytes.count
            let sid: Int
            if let s = fronts[f].sessions[from] { sid = s } else {
                guard let s = openSession(front: f, client: from) else { return }
                sid = s
            }
            sessions[sid].lastActiveMicros = now
            let v = sessions[sid].up.next(nowMicros: now)
            handle(v, bytes: bytes, session: sid, toRelay: true, now: now)
        }
        flushTouched()
        sweep(now: now)
    }

    private func openSession(front f: Int, client: PeerAddress) -> Int? {
        guard let up = try? BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!, batch: 8, socketBufferBytes: 1 << 20),
              let poll = try? LoopPoll(loop: loop, fd: up.fd) else { return nil }
        let id = freeSessions.popLast() ?? sessions.count
        opened += 1
        let s = seed ^ (UInt64(opened) &* 0x9E37_79B9_7F4A_7C15)
        let session = Session(front: f, client: client, upstream: up,
                              up: ImpairmentModel(profile: impairment.up, seed: s),
                              down: ImpairmentModel(profile: impairment.down, seed: s ^ 0xD0D0_D0D0), now: nowMicros())
        if id == sessions.count { sessions.append(session) } else { sessions[id] = session }
        sessions[id].poll = poll
        fronts[f].sessions[client] = id
        poll.start(.readable) { [unowned self] _ in self.upstreamReadable(id) }
        return id
    }

    private func upstreamReadable(_ sid: Int) {
        let now = nowMicros()
        let s = sessions[sid]
        let relay = fronts[s.front].relay
        guard let upstream = s.upstream else { return }
        upstream.receive { bytes, from in
            guard from == relay else { return }
            bytesDown += bytes.count
            let v = s.down.next(nowMicros: now)
            handle(v, bytes: bytes, session: sid, toRelay: false, now: now)
        }
        flushTouched()
    }

    private func handle(_ v: ImpairmentModel.Verdict, bytes: UnsafeRawBufferPointer, session sid: Int, toRelay: Bool, now: Int64) {
        guard let at = v.deliverAtMicros else {
            dropped += 1
            if v.burstDropped { burstDropped += 1 }
            return
        }
        if v.reordered { reordered += 1 }
        if v.spiked { spiked += 1 }
        deliverOrQueue(at: at, bytes: bytes, session: sid, toRelay: toRelay, now: now)
        if let d = v.duplicateAtMicros {
            duplicated += 1
            deliverOrQueue(at: d, bytes: bytes, session: sid, toRelay: toRelay, now: now)
        }
    }

    private func deliverOrQueue(at: Int64, bytes: UnsafeRawBufferPointer, session sid: Int, toRelay: Bool, now: Int64) {
        if at <= now + 200 && heap.isEmpty {
            send(bytes, session: sid, toRelay: toRelay)
            return
        }
        guard bytes.count <= slotBytes, let slot = takeSlot() else { overflow += 1; dropped += 1; return }
        (slots + Int(slot) * slotBytes).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        order &+= 1
        push(Pending(at: at, order: order, session: Int32(sid), toRelay: toRelay, slot: slot, length: Int32(bytes.count)))
        arm(now: now)
    }

    private func send(_ bytes: UnsafeRawBufferPointer, session sid: Int, toRelay: Bool) {
        let s = sessions[sid]
        if toRelay {
            guard let upstream = s.upstream else { dropped += 1; return }
            upstream.send(bytes, to: fronts[s.front].relay)
            touched.append(Int32(sid))
        } else {
            fronts[s.front].socket.send(bytes, to: s.client)
            frontTouched.insert(s.front)
        }
    }

    private func flushTouched() {
        for sid in touched { sessions[Int(sid)].upstream?.flush() }
        touched.removeAll(keepingCapacity: true)
        for f in frontTouched { fronts[f].socket.flush() }
        frontTouched.removeAll(keepingCapacity: true)
    }

    private func takeSlot() -> Int32? {
        if let s = free.popLast() { return s }
        guard slotCount * 2 <= maxSlots else { return nil }
        // Grow: move to a buffer twice as large (queued datagrams keep their slot numbers).
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: slotCount * 2 * slotBytes, alignment: 16)
        bigger.copyMemory(from: slots, byteCount: slotCount * slotBytes)
        slots.deallocate()
        slots = bigger
        free.append(contentsOf: (Int32(slotCount)..<Int32(slotCount * 2)).reversed())
        slotCount *= 2
        return free.popLast()
    }

    private func arm(now: Int64) {
        guard let first = heap.first, first.at < armedAt else { return }
        armedAt = first.at
        let ms = UInt64(max(0, (first.at - now + 999) / 1000))
        timer.start(afterMillis: ms) { [unowned self] in self.fire() }
    }

    private func fire() {
        armedAt = .max
        let now = nowMicros()
        while let first = heap.first, first.at <= now + 500 {
            let p = pop()
            send(UnsafeRawBufferPointer(start: slots + Int(p.slot) * slotBytes, count: Int(p.length)), session: Int(p.session), toRelay: p.toRelay)
            free.append(p.slot)
        }
        flushTouched()
        arm(now: now)
    }

    // Binary min-heap on (at, order).
    private func push(_ p: Pending) {
        heap.append(p)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].before(heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func pop() -> Pending {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && heap[l].before(heap[m]) { m = l }
                if r < heap.count && heap[r].before(heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
