import KKOrdering
import KKWire

/// Client -> relay: one decrypted datagram at a time.
extension RelayCore {
    /// One decrypted datagram from an established session.
    public func clientPacket(_ id: Int, _ bytes: UnsafeRawBufferPointer, nowMillis: UInt64) {
        guard let s = sessions[id] else { return }
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
        s.lastHeardMillis = nowMillis
        switch message {
        case .hello(let h): hello(s, h)
        case .input(let p): input(s, p, nowMillis: nowMillis)
        case .ping(let p):
            let tick = frames[s.matchId]?.latestTick ?? 0
            sendPacket(PongPacket(pingId: p.pingId, clientTimeMicros: p.clientTimeMicros, serverTick: tick), to: id)
        case .disconnect:
            sessionEnded(id)
            outbound.append(.close(session: id, reason: .clientQuit))
        }
    }

    private func hello(_ s: RelaySession, _ h: HelloPacket) {
        guard s.phase == .awaitingHello else {
            // Playing already: the Welcome was lost and the client retries its Hello. Answer again.
            if s.phase == .playing { sendWelcome(s) } else { counters.drop(.unexpectedPacket) }
            return
        }
        if draining { disconnect(s.id, .relayDraining); counters.drop(.draining); return }
        s.mode = h.mode
        if h.mode == .resume { counters.failover(.clientResumed) }
        s.trace = h.trace
        s.nextInputSeqFromHello = h.nextInputSeq
        s.ackedFrameTick = 0
        s.phase = .joining
        sessionsByMatch[s.matchId, default: []].append(s.id)
        outbound.append(.joining(session: s.id))
        // The JoinRequest goes out now if the match's shard is known, else once its route is.
        if let shard = route(s.matchId) {
            shardOfMatch[s.matchId] = shard
            sendControl(JoinRequestPacket(matchId: s.matchId, playerId: s.playerId, mode: s.mode, trace: s.trace), to: shard)
        }
    }

    private func input(_ s: RelaySession, _ p: InputPacket, nowMillis: UInt64) {
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
        var late = 0
        let latestFrame = frames[matchId]?.latestTick
        let stream = stream(shard)
        if s.resumeGapOpen {
            s.resumeGapOpen = false
            let oldest = p.seq &- UInt32(max(1, p.count)) &+ 1
            let gone = s.reorder.giveUp(before: oldest)
            if gone > 0 { counters.drop(.inputGoneAfterResume, gone) }
        }
        let stats = s.reorder.receive(p) { o in
            // Already stepped, as far as this relay has seen frames: late (forwarded anyway; the
            // shard decides, and counts its own late arrivals).
            if let latestFrame, !Serial.isNewer(o.tick, than: latestFrame) { late += 1 }
            s.inputArrived(o.seq, nowMillis: nowMillis)
            if stream.merger.push(
                BatchedInput(matchId: matchId, playerId: playerId, tick: o.tick, seq: o.seq, input: o.input)) {
                s.forwarded(seq: o.seq, tick: o.tick, input: o.input)
                delivered += 1
            } else {
                full += 1
            }
        }
        counters.inputsForwarded += delivered
        counters.inputsLate += late
        if full > 0 { counters.drop(.mergerFull, full) }
        if stats.tooFarAhead > 0 { counters.drop(.inputTooFarAhead, stats.tooFarAhead) }
    }

    /// The merged input stream to `shard` (made on first use).
    func stream(_ shard: ShardID) -> ShardStream {
        if let s = streams[shard] { return s }
        let s = ShardStream()
        streams[shard] = s
        return s
    }

    /// Encodes every shard's merged inputs as Z-ordered batches into the outbound queue.
    func flushInputs() {
        for (shard, stream) in streams where !stream.merger.isEmpty {
            while !stream.merger.isEmpty {
                let n = outbound.append(.shard(shard, reliable: true), maxBytes: Limits.maxInputBatchBytes) { (w) throws(WireError) in
                    var b = InputBatchWriter()
                    try b.begin(batchSeq: stream.batchSeq, protocolId: config.protocolId, into: &w)
                    while b.room(in: w) > 0, let e = stream.merger.pop() { try b.append(e, into: &w) }
                    try b.finish(into: &w)
                }
                guard n > 0 else { break }
                stream.batchSeq &+= 1
                counters.inputBatchesSent += 1
            }
        }
    }
}
