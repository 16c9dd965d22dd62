import KKDelta
import KKOrdering
import KKPhysics
import KKWire

/// Shard -> relay: join replies and match frames (fanned out delta-encoded per client), and what
/// happens when a match ends or moves.
extension RelayCore {
    /// One packet from a shard's link.
    public func shardPacket(from shard: ShardID, _ bytes: UnsafeRawBufferPointer, nowMillis: UInt64) {
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

    private func joinReply(_ r: JoinReplyPacket, from shard: ShardID) {
        guard let id = sessionsByMatch[r.matchId]?.first(where: { sessions[$0]?.playerId == r.playerId }),
              let s = sessions[id], s.phase == .joining else { return }
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
        s.phase = .playing
        s.slot = r.slot
        s.lastAppliedSeq = r.lastAppliedSeq
        // Resume: nothing the shard applied is forwarded again. Join: start at the client's first seq.
        var start = s.mode == .resume || r.lastAppliedSeq != 0 ? r.lastAppliedSeq &+ 1 : s.nextInputSeqFromHello
        if s.mode == .resume, let newest = s.newestForwarded, Serial.isNewer(newest, than: r.lastAppliedSeq) {
            // The match moved to a shard that adopted it from a snapshot: it applied fewer inputs
            // than the dead shard did, and the client holds the rest acknowledged (it will not
            // send them again). This relay forwarded them: they go again, in order, first.
            let target = self.stream(shard)
            var again = 0, full = 0
            let covered = s.forwardedInputs(after: r.lastAppliedSeq) { seq, tick, input in
                if target.merger.push(BatchedInput(matchId: r.matchId, playerId: r.playerId, tick: tick, seq: seq, input: input)) {
                    again += 1
                } else {
                    full += 1
                }
            }
            if covered != nil { start = newest &+ 1 }
            counters.inputsReforwarded += again
            if full > 0 { counters.drop(.mergerFull, full) }
        }
        s.reorder.reset(startSeq: start)
        s.resumeGapOpen = s.mode == .resume
        s.replay = ReplayWindow()
        s.tickRate = max(1, r.tickRate)
        if s.mode == .resume { counters.resumes += 1 } else { counters.joins += 1 }
        sendWelcome(s, serverTick: r.tick)
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
            var margin = PlayerAck.unknownMargin
            if let ack = f.ack(of: s.playerId) {
                if s.lastAppliedSeq != 0, Serial.isNewer(ack.lastAppliedSeq, than: s.lastAppliedSeq) {
                    s.inputsApplied(after: s.lastAppliedSeq, upTo: ack.lastAppliedSeq, nowMillis: nowMillis, into: &counters.inputToFrame)
                }
                s.lastAppliedSeq = ack.lastAppliedSeq
                margin = ack.inputMargin
            }
            let baseline: MatchState? = s.ackedFrameTick == 0 ? nil : cache.state(at: s.ackedFrameTick)
            deltaScratch.removeAll(keepingCapacity: true)
            DeltaCodec.encode(state, baseline: baseline, into: &deltaScratch)
            let packet = FramePacket(tick: f.tick, baselineTick: baseline?.tick, lastAppliedSeq: s.lastAppliedSeq,
                                     inputMargin: margin)
            let n = deltaScratch.withUnsafeBytes { payload in
                outbound.append(.client(session: id)) { (w) throws(WireError) in
                    try packet.encode(protocolId: config.protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
                }
            }
            guard n > 0 else { counters.drop(.malformed); continue }
            guard s.bandwidth.take(Double(n), nowMillis: nowMillis) else {
                outbound.removeLast()
                counters.drop(.bandwidthCap)
                continue
            }
            if baseline == nil { counters.framesFull += 1 } else { counters.framesDelta += 1 }
            counters.frameBytes += n
            s.framesSent += 1
        }
    }

    /// The match ended on its shard: its sessions are told and closed.
    func matchOver(_ matchId: UInt64) {
        for id in sessionsByMatch[matchId] ?? [] where sessions[id] != nil { disconnect(id, .matchOver) }
    }

    /// A match moved to another shard (or lost its shard): every session of it re-joins as a
    /// resume once the new route is ready.
    func matchMoved(_ matchId: UInt64) {
        shardOfMatch[matchId] = nil
        let ids = (sessionsByMatch[matchId] ?? []).filter { sessions[$0] != nil && sessions[$0]!.phase != .awaitingHello }
        for id in ids {
            sessions[id]!.phase = .joining
            sessions[id]!.mode = .resume
        }
        guard !ids.isEmpty, let shard = route(matchId) else { return }
        routeReady(matchId, shard)
    }

    /// A shard link went down: its input stream is dropped and its matches re-join through a
    /// fresh route (the match may have been adopted by another shard), as resumes.
    func shardLost(_ shard: ShardID) {
        streams[shard] = nil
        for m in shardOfMatch.filter({ $0.value == shard }).map(\.key) {
            counters.failover(.shardLinkLost)
            matchMoved(m)
        }
    }
}
