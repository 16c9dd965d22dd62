import KKDelta
import KKPhysics
import KKRelayCore
import KKShardCore
import KKToken
import KKTestSupport
import KKWire
import Testing

@Suite struct RelayCoreTests {
    /// Hello -> JoinRequest -> Welcome; inputs reach the shard at their tick in order; frames
    /// come back full first, then delta against the acknowledged frame, and decode exactly.
    @Test func joinInputsAndDeltaFrames() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        guard case .welcome(let w)? = s.received(1).first else { Issue.record("no welcome"); return }
        #expect(w.playerId == 11 && w.matchId == 500)
        // The resume ticket is a fresh sealed token for the same player and match.
        let ticket = try TokenValidator(keys: [InProcessStack.ticketKey]).validate(text: String(decoding: w.resumeTicket, as: UTF8.self), now: 100)
        #expect(ticket.playerId == 11 && ticket.matchId == 500 && ticket.kind == .resumeTicket)

        // The client drives: 3 inputs per packet, acking the newest frame it decoded.
        var states: [UInt32: MatchState] = [:]
        var acked: UInt32 = 0
        var seq: UInt32 = 0
        var decodedFrames = 0
        for _ in 0..<40 {
            let inputs = (0..<3).map { _ in InputSample(buttons: KartInput.accelerate, steer: 10) }
            seq += 3
            s.client(1, InputPacket(seq: seq, tick: seq + 2, ackFrameTick: acked, newestFirst: inputs))
            s.tick(3)
            for (f, payload) in s.frames(1) where states[f.tick] == nil {
                let baseline = f.baselineTick.flatMap { states[$0] }
                if f.baselineTick != nil { #expect(baseline != nil) }
                let st = try DeltaCodec.decode(payload, baseline: baseline)
                #expect(st == s.shard.matches[500]!.state || st.tick < s.shard.matches[500]!.tick)
                states[f.tick] = st
                acked = f.tick
                decodedFrames += 1
            }
        }
        #expect(decodedFrames >= 30)
        #expect(s.relay.counters.framesDelta > 0 && s.relay.counters.framesFull >= 1)
        #expect(s.relay.counters.inputsForwarded == 120)
        #expect(s.shard.counters.inputsApplied == 120)
        // The kart accelerated under the relayed inputs (after the countdown).
        let m = s.shard.matches[500]!
        #expect(m.lastAppliedSeq[0] > 0)
        // Input -> frame at the edge: every input the shard applied after the first ack was
        // timed from its arrival to the frame that acked it (in-process: a few 16 ms ticks).
        let h = s.relay.counters.inputToFrame
        #expect(h.count >= 100 && h.count <= 120, "\(h)")
        #expect(h.cumulative[LatencyBuckets.labels.firstIndex(of: "0.1")!] == h.count, "\(h.counts)")
        #expect(h.sumMillis >= UInt64(h.count) * 16, "an input waits at least a tick for its frame")
    }

    @Test func latencyBucketsAreInclusiveUpperBoundsAndCumulate() {
        var h = LatencyBuckets()
        for ms: UInt64 in [0, 5, 6, 33, 34, 1000, 1001, 90_000] { h.record(millis: ms) }
        #expect(h.counts == [2, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(h.cumulative == [2, 3, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 8])
        #expect(h.count == 8 && LatencyBuckets.labels.count == h.counts.count && LatencyBuckets.labels.last == "+Inf")
    }

    /// Arrival slots: sequence numbers wrap, a seq seen once is timed once, inputs from before a
    /// resume (not in the slots) are not timed.
    @Test func inputArrivalsAreTimedOnceAcrossWrap() {
        let session = RelaySession(id: 1, token: InProcessStack.token(player: 1), nowMillis: 0, bytesPerSecond: 1e6)
        var h = LatencyBuckets()
        for (i, seq) in [UInt32.max - 1, UInt32.max, 0, 1].enumerated() { session.inputArrived(seq, nowMillis: 100 + UInt64(i) * 10) }
        session.inputsApplied(after: UInt32.max - 2, upTo: 1, nowMillis: 140, into: &h)
        #expect(h.count == 4 && h.sumMillis == 40 + 30 + 20 + 10)
        session.inputsApplied(after: UInt32.max - 2, upTo: 1, nowMillis: 200, into: &h)
        #expect(h.count == 4, "timed once")
        session.inputsApplied(after: 1, upTo: 500, nowMillis: 300, into: &h)
        #expect(h.count == 4, "never arrived here")
    }

    /// An input for a tick the relay has already seen framed is counted late by the relay (and
    /// forwarded), and late by the shard, which steps without it.
    @Test func lateInputsAreCountedByTheRelayAndTheShard() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        s.tick(30)
        _ = s.frames(1)
        let latest = s.shard.matches[500]!.tick
        #expect(latest >= 30)
        let inputs = (0..<3).map { _ in InputSample(buttons: KartInput.accelerate, steer: 0) }
        s.client(1, InputPacket(seq: 3, tick: 5, ackFrameTick: 0, newestFirst: inputs))
        #expect(s.relay.counters.inputsLate == 3 && s.relay.counters.inputsForwarded == 3)
        s.tick(3)
        #expect(s.shard.counters.inputsLate == 3 && s.shard.counters.inputsApplied == 0)
    }

    @Test func replayedAndGarbagePacketsAreCountedDrops() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        let p = InputPacket(seq: 3, tick: 3, ackFrameTick: 0, newestFirst: [.neutral, .neutral, .neutral])
        s.client(1, p)
        s.client(1, p)  // replay
        #expect(s.relay.counters.drops(.replayed) == 1)
        var junk = try p.encoded()
        junk[8] ^= 0xFF
        junk.withUnsafeBytes { s.relay.clientPacket(1, $0, nowMillis: s.now) }
        #expect(s.relay.counters.drops(.badChecksum) == 1)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<1000 {
            let b = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            b.withUnsafeBytes { s.relay.clientPacket(1, $0, nowMillis: s.now) }
        }
        #expect(s.relay.sessions[1]?.phase == .playing)
    }

    /// A lost Welcome: the client's retried Hello gets the Welcome again (it would otherwise be
    /// stranded in "joining" while frames arrive).
    @Test func repeatedHelloWhilePlayingResendsWelcome() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        let welcomes = s.received(1).filter { if case .welcome = $0 { true } else { false } }
        #expect(welcomes.count == 2)
        #expect(s.relay.counters.joins == 1)
    }

    @Test func inputBeforeHelloIsRefused() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, InputPacket(seq: 1, tick: 1, ackFrameTick: 0, newestFirst: [.neutral]))
        #expect(s.relay.counters.drops(.notPlaying) == 1)
    }

    @Test func unknownMatchAndFullMatchDisconnectWithReason() throws {
        let s = try InProcessStack(players: 1)
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11, match: 999), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(s.closed[1] == .matchNotFound)
        s.relay.sessionEstablished(2, token: InProcessStack.token(player: 12), nowMillis: s.now)
        s.client(2, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        s.relay.sessionEstablished(3, token: InProcessStack.token(player: 13), nowMillis: s.now)
        s.client(3, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(s.closed[3] == .serverFull)
        guard case .disconnect(let d)? = s.received(3).last else { Issue.record("no disconnect"); return }
        #expect(d.reason == .serverFull)
    }

    /// Resume on another relay: the new relay starts after the shard's last applied sequence,
    /// so resent inputs are not applied twice.
    @Test func resumeAppliesNoInputTwice() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        let inputs = (1...6).reversed().map { InputSample(buttons: 1, steer: Int8($0)) }
        s.client(1, InputPacket(seq: 6, tick: 6, ackFrameTick: 0, newestFirst: inputs))
        s.tick(6)
        #expect(s.shard.matches[500]!.lastAppliedSeq[0] == 6)
        // Relay "A" dies; the client appears at relay "B" (a new core on the same shard).
        s.shard.relayLost(RelayLink(1))
        let b = s.addRelay()
        b.core.sessionEstablished(7, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(7, HelloPacket(mode: .resume, lastFrameTick: 0, nextInputSeq: 7), on: b)
        guard case .welcome(let w)? = s.received(7, on: b).first else { Issue.record("no welcome"); return }
        #expect(w.lastAppliedSeq == 6)
        // The client resends its unacknowledged window 1...9: only 7...9 are forwarded.
        let again = (1...9).reversed().map { InputSample(buttons: 1, steer: Int8($0)) }
        s.client(7, InputPacket(seq: 9, tick: 9, ackFrameTick: 0, newestFirst: again), on: b)
        #expect(b.core.counters.inputsForwarded == 3)
        #expect(s.shard.counters.inputsApplied == 6 + 3)
    }

    /// A shard adopted the match from a snapshot older than the dead shard's last applied input:
    /// the relay forwards the inputs after the snapshot again (the client holds them acknowledged
    /// and will not resend them), and the new shard applies each once, in order.
    @Test func adoptedMatchGetsTheInputsAfterItsSnapshotAgain() throws {
        let s = try InProcessStack()
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        // Input n is for tick 10 + n (the client leads the shard).
        let inputs = (1...9).map { InputSample(buttons: 1, steer: Int8($0)) }
        func send(_ seqs: ClosedRange<Int>) {
            s.client(1, InputPacket(seq: UInt32(seqs.upperBound), tick: UInt32(10 + seqs.upperBound), ackFrameTick: 0,
                                    newestFirst: seqs.reversed().map { inputs[$0 - 1] }))
        }
        send(1...3)
        s.tick(13)
        let host = try #require(s.shard.matches[500])
        #expect(host.lastAppliedSeq[0] == 3)
        let snapshot = MatchSnapshot(epoch: 1, players: host.players, lastAppliedSeq: host.lastAppliedSeq, state: host.state)
        send(4...6)
        s.tick(3)
        #expect(s.shard.matches[500]!.lastAppliedSeq[0] == 6)
        // Shard s0 dies after applying 4...6; s1 adopts the match from the snapshot (seq 3, tick 13).
        try s.adopt(from: snapshot, id: "s1")
        s.tick(3)
        #expect(s.relay.counters.inputsReforwarded == 3)
        #expect(s.relay.counters.failovers(.shardOwnerChanged) == 1)
        #expect(s.shard.matches[500]!.lastAppliedSeq[0] == 6)
        #expect(s.shard.counters.inputsApplied == 3)
        // The client goes on, resending its unacknowledged window 7...9 with 5 and 6 ahead of it
        // (redundancy): each input is applied once.
        send(5...9)
        s.tick(3)
        #expect(s.shard.matches[500]!.lastAppliedSeq[0] == 9)
        #expect(s.shard.counters.inputsApplied == 6)
        #expect(s.relay.counters.drops(.inputGoneAfterResume) == 0)
    }

    /// A race outlives a resume ticket: a playing client gets a fresh one every quarter of the
    /// ticket's validity (valid from the renewal on), so a relay that dies late in a race can
    /// still be resumed from; a session that has not joined gets none.
    @Test func playingClientsGetAFreshResumeTicketBeforeTheirsExpires() throws {
        var c = RelayConfig()
        c.resumeTicketSeconds = 40
        let s = try InProcessStack(relayConfig: c)
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.relay.sessionEstablished(2, token: InProcessStack.token(player: 12), nowMillis: s.now)
        s.client(1, HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        func renewed(_ id: Int) -> [ResumeTicketPacket] {
            s.received(id).compactMap { if case .resumeTicket(let t) = $0 { t } else { nil } }
        }
        func housekeeping(at second: UInt64) {
            s.relay.housekeeping(nowMillis: s.now, unixSeconds: second)
            s.pump()
        }
        housekeeping(at: 109)
        #expect(renewed(1).isEmpty, "the Welcome's ticket (issued at 100) is not due before 110")
        housekeeping(at: 110)
        #expect(renewed(1).count == 1 && renewed(2).isEmpty)
        let validator = try TokenValidator(keys: [InProcessStack.ticketKey])
        let text = String(decoding: try #require(renewed(1).first).ticket, as: UTF8.self)
        let t = try validator.validate(text: text, now: 149)
        #expect(t.playerId == 11 && t.matchId == 500 && t.kind == .resumeTicket)
        #expect(throws: TokenError.self) { try validator.validate(text: text, now: 151) }
        housekeeping(at: 119)
        #expect(renewed(1).count == 1)
        housekeeping(at: 120)
        #expect(renewed(1).count == 2 && s.relay.counters.ticketsRenewed == 2)
    }

    @Test func idleSessionsExpire() throws {
        var c = RelayConfig()
        c.idleTimeoutMillis = 1000
        let s = try InProcessStack(relayConfig: c)
        s.relay.sessionEstablished(1, token: InProcessStack.token(player: 11), nowMillis: s.now)
        s.relay.housekeeping(nowMillis: s.now + 500, unixSeconds: 100)
        s.pump()
        #expect(s.closed.isEmpty)
        s.relay.housekeeping(nowMillis: s.now + 1500, unixSeconds: 101)
        s.pump()
        #expect(s.closed[1] == .timeout && s.relay.sessions.isEmpty && s.relay.counters.idleTimeouts == 1)
    }

    @Test func tokenBucket() {
        var b = TokenBucket(ratePerSecond: 10, burst: 5, nowMillis: 0)
        var ok = 0
        for _ in 0..<10 where b.take(nowMillis: 0) { ok += 1 }
        #expect(ok == 5)
        let refilled = b.take(nowMillis: 100)   // one token refilled after 100 ms
        let empty = !b.take(nowMillis: 100)
        #expect(refilled && empty)
    }
}
