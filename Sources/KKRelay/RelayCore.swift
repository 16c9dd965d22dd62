import KKDelta
import KKOrdering
import KKPhysics
import KKToken
import KKWire

/// Where the relay core's output goes: the I/O layer encrypts client packets with the
/// session's DTLS state and sends shard packets over ENet.
public protocol RelayCoreIO<Shard>: AnyObject {
    associatedtype Shard: Hashable
    /// Encrypts and sends one plaintext packet to a client session.
    func sendToClient(_ session: Int, _ plaintext: UnsafeRawBufferPointer)
    /// Sends one packet to a shard (reliable: control and inputs; unreliable: none from the relay).
    func sendToShard(_ shard: Shard, _ bytes: UnsafeRawBufferPointer, reliable: Bool)
    /// Ends a session after its Disconnect was sent.
    func closeSession(_ session: Int, reason: DisconnectReason)
    /// A fresh resume ticket for this token (empty when the relay issues none).
    func resumeTicket(for token: PrivateToken) -> [UInt8]
}

/// How a match's shard is found.
public enum ShardRoute<Shard: Hashable> {
    /// Connected and usable now.
    case ready(Shard)
    /// Being looked up or connected; the I/O layer calls ``RelayCore/routeResolved(matchId:shard:)``.
    case pending
    /// No shard hosts this match.
    case unknown
}

/// The relay's protocol logic without sockets or crypto: sessions after the handshake, the
/// input path (validate, replay window, per-player reorder, Z-order merge per shard, batches)
/// and the frame path (one full state per match from the shard, delta-encoded per client
/// against that client's acknowledged frame). Loop-thread only.
public final class RelayCore<IO: RelayCoreIO> {
    public typealias Shard = IO.Shard
    public let config: RelayConfig
    public unowned let io: IO
    public var counters = RelayCounters()
    /// Resolves a match to its shard (Redis-backed cache in production).
    public var route: (UInt64) -> ShardRoute<Shard> = { _ in .unknown }

    public private(set) var sessions: [Int: RelaySession] = [:]
    private var sessionsByMatch: [UInt64: [Int]] = [:]
    private var shardOfMatch: [UInt64: Shard] = [:]
    private var streams: [Shard: ShardStream] = [:]
    private var frames: [UInt64: FrameCache] = [:]
    private var out = [UInt8](repeating: 0, count: max(Limits.maxDatagramBytes, 4096))
    private var deltaScratch: [UInt8] = []
    private var stateScratch: [UInt8] = []
    /// Parse buffer for match frames, swapped with the frame cache's evicted slot.
    private var parsedState = MatchState.empty
    /// True while draining: new sessions are refused, existing ones keep playing.
    public var draining = false

    /// Per-shard input stream: the Z-order merger and the batch sequence. A class so the
    /// per-input push mutates it through a reference (no dictionary `_modify` per input).
    final class ShardStream {
        /// Room for bursts when the loop was busy: 16k inputs (~420 KB) before a counted drop.
        var merger = ZOrderMerger(capacity: Limits.maxBatchEntries * 16)
        var batchSeq: UInt32 = 0
    }

    private func stream(_ shard: Shard) -> ShardStream {
        if let s = streams[shard] { return s }
        let s = ShardStream()
        streams[shard] = s
        return s
    }

    public init(config: RelayConfig, io: IO) {
        self.config = config
        self.io = io
        sessions.reserveCapacity(config.maxSessions)
        deltaScratch.reserveCapacity(2048)
    }

    // MARK: sessions

    /// A client finished its DTLS handshake with a valid token.
    public func sessionEstablished(_ id: Int, token: PrivateToken, nowMillis: UInt64) {
        sessions[id] = RelaySession(id: id, token: token, nowMillis: nowMillis, bytesPerSecond: config.maxClientBytesPerSecond)
    }

    /// The I/O layer ended a session (timeout, DTLS close, eviction): tell the shard.
    public func sessionEnded(_ id: Int) {
        guard let s = sessions.removeValue(forKey: id) else { return }
        counters.sessionsClosed += 1
        sessionsByMatch[s.matchId]?.removeAll { $0 == id }
        if sessionsByMatch[s.matchId]?.isEmpty == true { sessionsByMatch[s.matchId] = nil; frames[s.matchId] = nil }
        if s.phase != .awaitingHello, let shard = shardOfMatch[s.matchId] {
            sendControl(LeavePacket(matchId: s.matchId, playerId: s.playerId, reason: .clientQuit), to: shard)
        }
    }

    /// Closes sessions not heard from for `config.idleTimeoutMillis`; returns their ids.
    public func expireIdle(nowMillis: UInt64, into expired: inout [Int]) {
        expired.removeAll(keepingCapacity: true)
        for (id, s) in sessions where nowMillis > s.lastHeardMillis + config.idleTimeoutMillis { expired.append(id) }
        for id in expired {
            counters.idleTimeouts += 1
            disconnect(id, .timeout)
        }
    }

    /// Sends a Disconnect and closes the session.
    public func disconnect(_ id: Int, _ reason: DisconnectReason) {
        sendPacket(DisconnectPacket(reason: reason), to: id)
        sessionEnded(id)
        io.closeSession(id, reason: reason)
    }

    // MARK: client -> relay

    /// One decrypted datagram from an established session.
    public func clientPacket(_ id: Int, _ bytes: UnsafeRawBufferPointer, nowMillis: UInt64) {
        guard sessions[id] != nil else { return }
        let message: ClientToRelay
        do throws(WireError) {
            message = try ClientToRelay.decode(bytes, protocolId: config.protocolId)
        } catch {
            switch error {
            case .badChecksum: counters.drop(.badChecksum)
            case .wrongVersion: counters.drop(.wrongVersion)
            case .wrongProtocol: counters.drop(.wrongProtocol)
            default: counters.drop(.malformed)
            }
            return
        }
        sessions[id]!.lastHeardMillis = nowMillis
        switch message {
        case .hello(let h): hello(id, h)
        case .input(let p): input(id, p)
        case .ping(let p):
            let tick = frames[sessions[id]!.matchId]?.latestTick ?? 0
            sendPacket(PongPacket(pingId: p.pingId, clientTimeMicros: p.clientTimeMicros, serverTick: tick), to: id)
        case .disconnect:
            sessionEnded(id)
            io.closeSession(id, reason: .clientQuit)
        }
    }

    private func hello(_ id: Int, _ h: HelloPacket) {
        guard sessions[id]!.phase == .awaitingHello else {
            // Playing already: the Welcome was lost and the client retries its Hello. Answer again.
            if sessions[id]!.phase == .playing { sendWelcome(sessions[id]!) } else { counters.drop(.unexpectedPacket) }
            return
        }
        if draining { disconnect(id, .relayDraining); counters.drop(.draining); return }
        sessions[id]!.mode = h.mode
        sessions[id]!.nextInputSeqFromHello = h.nextInputSeq
        sessions[id]!.ackedFrameTick = 0
        sessions[id]!.phase = .joining
        let m = sessions[id]!.matchId
        sessionsByMatch[m, default: []].append(id)
        requestJoin(id)
    }

    /// Sends the JoinRequest if the match's shard is known, else waits for the route.
    private func requestJoin(_ id: Int) {
        guard let s = sessions[id] else { return }
        switch route(s.matchId) {
        case .ready(let shard):
            shardOfMatch[s.matchId] = shard
            sendControl(JoinRequestPacket(matchId: s.matchId, playerId: s.playerId, mode: s.mode), to: shard)
        case .pending:
            break
        case .unknown:
            counters.drop(.unknownMatch)
            disconnect(id, .matchNotFound)
        }
    }

    /// The I/O layer found (or failed to find) the shard of a match: joins that waited go on.
    public func routeResolved(matchId: UInt64, shard: Shard?) {
        guard let shard else { refuseWaitingJoins(matchId, counted: .unknownMatch, told: .matchNotFound); return }
        let waiting = (sessionsByMatch[matchId] ?? []).filter { sessions[$0]?.phase == .joining }
        shardOfMatch[matchId] = shard
        for id in waiting {
            let s = sessions[id]!
            sendControl(JoinRequestPacket(matchId: matchId, playerId: s.playerId, mode: s.mode), to: shard)
        }
    }

    private func input(_ id: Int, _ p: InputPacket) {
        let s = sessions[id]!
        guard s.phase == .playing else { counters.drop(.notPlaying); return }
        switch s.replay.accept(p.seq) {
        case .fresh: break
        case .duplicate: counters.drop(.replayed); return
        case .tooOld: counters.drop(.tooOld); return
        }
        if Serial.isNewer(p.ackFrameTick, than: s.ackedFrameTick) { s.ackedFrameTick = p.ackFrameTick }
        let matchId = s.matchId
        let playerId = s.playerId
        guard let shard = shardOfMatch[matchId] else { counters.drop(.shardUnavailable); return }
        var full = 0
        var delivered = 0
        let stream = stream(shard)
        let stats = s.reorder.receive(p) { o in
            if stream.merger.push(
                BatchedInput(matchId: matchId, playerId: playerId, tick: o.tick, seq: o.seq, input: o.input)) {
                delivered += 1
            } else {
                full += 1
            }
        }
        counters.inputsForwarded += delivered
        if full > 0 { counters.drop(.mergerFull, full) }
        if stats.tooFarAhead > 0 { counters.drop(.inputTooFarAhead, stats.tooFarAhead) }
    }

    // MARK: relay -> shard

    /// Sends every shard's merged inputs as Z-ordered batches.
    public func flush() {
        for (shard, stream) in streams where !stream.merger.isEmpty {
            while !stream.merger.isEmpty {
                let n = WireWriter.write(into: &out) { (w) throws(WireError) in
                    var b = InputBatchWriter()
                    try b.begin(batchSeq: stream.batchSeq, protocolId: config.protocolId, into: &w)
                    while b.room(in: w) > 0, let e = stream.merger.pop() { try b.append(e, into: &w) }
                    try b.finish(into: &w)
                }
                guard n > 0 else { break }
                stream.batchSeq &+= 1
                counters.inputBatchesSent += 1
                out.withUnsafeBytes { io.sendToShard(shard, UnsafeRawBufferPointer(rebasing: $0[0..<n]), reliable: true) }
            }
        }
    }

    // MARK: shard -> relay

    /// One packet from a shard.
    public func shardPacket(from shard: Shard, _ bytes: UnsafeRawBufferPointer, nowMillis: UInt64) {
        let message: ShardMessage
        do throws(WireError) {
            message = try ShardMessage.decode(bytes, protocolId: config.protocolId)
        } catch {
            counters.drop(.malformed)
            return
        }
        switch message {
        case .joinReply(let r): joinReply(r, from: shard)
        case .matchFrame(let f): matchFrame(f, payload: UnsafeRawBufferPointer(rebasing: bytes[f.payload]), nowMillis: nowMillis)
        default: counters.drop(.unexpectedPacket)
        }
    }

    private func joinReply(_ r: JoinReplyPacket, from shard: Shard) {
        guard let id = sessionsByMatch[r.matchId]?.first(where: { sessions[$0]?.playerId == r.playerId }),
              sessions[id]?.phase == .joining else { return }
        guard r.result == .ok else {
            counters.joinsRefused += 1
            let reason: DisconnectReason = switch r.result {
            case .matchFull: .serverFull
            case .matchOver: .matchOver
            case .noSuchMatch, .notOwner, .notInMatch: .matchNotFound
            case .ok: .protocolError
            }
            disconnect(id, reason)
            return
        }
        let s = sessions[id]!
        s.phase = .playing
        s.slot = r.slot
        s.lastAppliedSeq = r.lastAppliedSeq
        // Resume: nothing the shard applied is forwarded again. Join: start at the client's first seq.
        let start = s.mode == .resume || r.lastAppliedSeq != 0 ? r.lastAppliedSeq &+ 1 : s.nextInputSeqFromHello
        s.reorder.reset(startSeq: start)
        s.replay = ReplayWindow()

        s.tickRate = max(1, r.tickRate)
        if s.mode == .resume { counters.resumes += 1 } else { counters.joins += 1 }
        sendWelcome(s, serverTick: r.tick)
    }

    private func sendWelcome(_ s: RelaySession, serverTick: UInt32? = nil) {
        let tick = serverTick ?? frames[s.matchId]?.latestTick ?? 0
        sendPacket(WelcomePacket(playerId: s.playerId, matchId: s.matchId, slot: s.slot, tickRate: s.tickRate,
                                 serverTick: tick, lastAppliedSeq: s.lastAppliedSeq, resumeTicket: io.resumeTicket(for: s.token)),
                   to: s.id)
    }

    private func matchFrame(_ f: MatchFramePacket, payload: UnsafeRawBufferPointer, nowMillis: UInt64) {
        guard let ids = sessionsByMatch[f.matchId], !ids.isEmpty else { return }
        stateScratch.removeAll(keepingCapacity: true)
        stateScratch.append(contentsOf: payload)
        // Parse into the spare state (its arrays are reused), then swap it into the ring: the
        // evicted state becomes the next spare. No allocation per frame in steady state.
        do throws(PhysicsError) { try parsedState.deserialize(from: stateScratch) } catch {
            counters.drop(.malformed)
            return
        }
        guard parsedState.tick == f.tick else { counters.drop(.malformed); return }
        frames[f.matchId, default: FrameCache()].store(swapping: &parsedState)
        let cache = frames[f.matchId]!
        guard let state = cache.latest else { return }
        for id in ids {
            guard let s = sessions[id], s.phase == .playing else { continue }
            if let seq = f.lastAppliedSeq(of: s.playerId) { s.lastAppliedSeq = seq }
            let baseline: MatchState? = s.ackedFrameTick == 0 ? nil : cache.state(at: s.ackedFrameTick)
            deltaScratch.removeAll(keepingCapacity: true)
            DeltaCodec.encode(state, baseline: baseline, into: &deltaScratch)
            let packet = FramePacket(tick: f.tick, baselineTick: baseline?.tick, lastAppliedSeq: s.lastAppliedSeq)
            let n = deltaScratch.withUnsafeBytes { payload in
                WireWriter.write(into: &out) { (w) throws(WireError) in
                    try packet.encode(protocolId: config.protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
                }
            }
            guard n > 0 else { counters.drop(.malformed); continue }
            guard s.bandwidth.take(Double(n), nowMillis: nowMillis) else { counters.drop(.bandwidthCap); continue }
            if baseline == nil { counters.framesFull += 1 } else { counters.framesDelta += 1 }
            counters.frameBytes += n
            s.framesSent += 1
            out.withUnsafeBytes { io.sendToClient(id, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The match's shard is registered but unreachable (no adoption came in time): sessions
    /// waiting to join or re-join are told "the game server is unavailable" and closed.
    public func routeUnavailable(matchId: UInt64) {
        refuseWaitingJoins(matchId, counted: .shardUnavailable, told: .shardUnavailable)
    }

    /// Closes the match's sessions that wait to (re)join, each a counted drop with a reason the player reads.
    private func refuseWaitingJoins(_ matchId: UInt64, counted: RelayDropReason, told: DisconnectReason) {
        for id in sessionsByMatch[matchId] ?? [] where sessions[id]?.phase == .joining {
            counters.drop(counted)
            disconnect(id, told)
        }
    }

    /// A shard link went down: its matches re-join through a fresh route (the match may have
    /// been adopted by another shard), as resumes.
    public func shardLost(_ shard: Shard) {
        streams[shard] = nil
        for m in shardOfMatch.filter({ $0.value == shard }).map(\.key) { matchMoved(m) }
    }

    /// The match ended on its shard: its sessions are told and closed.
    public func matchOver(_ matchId: UInt64) {
        for id in sessionsByMatch[matchId] ?? [] where sessions[id] != nil { disconnect(id, .matchOver) }
    }

    /// A match moved to another shard (or lost its shard): every session of it re-joins as a
    /// resume once the new route resolves.
    public func matchMoved(_ matchId: UInt64) {
        shardOfMatch[matchId] = nil
        let ids = (sessionsByMatch[matchId] ?? []).filter { sessions[$0] != nil && sessions[$0]!.phase != .awaitingHello }
        for id in ids {
            sessions[id]!.phase = .joining
            sessions[id]!.mode = .resume
        }
        guard !ids.isEmpty else { return }
        switch route(matchId) {
        case .ready(let shard): routeResolved(matchId: matchId, shard: shard)
        case .pending: break
        case .unknown: routeResolved(matchId: matchId, shard: nil)
        }
    }

    // MARK: encoding helpers

    /// Encodes `p` into the scratch buffer; returns its length (0 when it does not fit).
    private func encode<P: WirePacket>(_ p: P) -> Int {
        WireWriter.write(into: &out) { (w) throws(WireError) in try p.encode(protocolId: config.protocolId, into: &w) }
    }

    private func sendPacket<P: WirePacket>(_ p: P, to id: Int) {
        let n = encode(p)
        if n > 0 { out.withUnsafeBytes { io.sendToClient(id, UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
    }

    private func sendControl<P: WirePacket>(_ p: P, to shard: Shard) {
        let n = encode(p)
        if n > 0 { out.withUnsafeBytes { io.sendToShard(shard, UnsafeRawBufferPointer(rebasing: $0[0..<n]), reliable: true) } }
    }

    /// Sessions per phase (for /status).
    public var sessionCounts: (awaitingHello: Int, joining: Int, playing: Int) {
        var a = 0, j = 0, p = 0
        for s in sessions.values {
            switch s.phase { case .awaitingHello: a += 1; case .joining: j += 1; case .playing: p += 1 }
        }
        return (a, j, p)
    }
}
