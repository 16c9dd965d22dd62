import KKDelta
import KKPhysics
import KKPrediction
import KKWire

extension ClientSession {
    /// One decrypted datagram from the relay. A bad packet throws (and is counted in
    /// ``ClientStats/badPackets``) but leaves the session as it was.
    public func receive(_ datagram: UnsafeRawBufferPointer, nowMillis: UInt64) throws(ClientError) {
        guard state != .idle, !state.isEnded else { throw .unexpected("no session") }
        let now = Self.micros(nowMillis)
        stats.bytesDown += datagram.count
        let message: RelayToClient
        do { message = try RelayToClient.decode(datagram, protocolId: config.protocolId) } catch {
            stats.badPackets += 1
            throw .wire(error)
        }
        lastHeardMicros = now
        switch message {
        case .welcome(let w): try welcome(w, now)
        case .frame(let f): try frame(f, UnsafeRawBufferPointer(rebasing: datagram[f.payload]), now)
        case .pong(let p):
            rtt.add(sampleMicros: now - Int64(bitPattern: p.clientTimeMicros))
            stats.pongsReceived += 1
            stats.rttMillis = Double(rtt.smoothedMicros) / 1000
            stats.rttJitterMillis = Double(rtt.jitterMicros) / 1000
        case .resumeTicket(let t):
            // A fresh ticket while playing (the last one would expire before the race ends).
            guard state == .playing || state == .resuming else { stats.badPackets += 1; throw .unexpected("resume ticket") }
            resumeTicket = t.ticket
            stats.ticketsRenewed += 1
        case .disconnect(let d):
            if d.reason == .relayDraining && (state == .playing || state == .resuming) {
                // The relay is going away: resume elsewhere (the next relay, or the same anycast
                // address, which another POP answers once the route is withdrawn).
                moveRequested = true
                relayChanged(relay: nil, nowMillis: UInt64(now / 1000))
            } else {
                state = .ended(.server(d.reason))
            }
        }
    }

    private func welcome(_ w: WelcomePacket, _ now: Int64) throws(ClientError) {
        guard (state == .joining || state == .resuming) && helloSent else {
            stats.badPackets += 1
            throw .unexpected("welcome")
        }
        if let d = driver, Int(w.slot) != d.predictor.localSlot { stats.badPackets += 1; throw .badSlot(Int(w.slot)) }
        if state == .resuming { stats.resumes += 1 }
        playerId = w.playerId
        matchId = w.matchId
        slot = Int(w.slot)
        resumeTicket = w.resumeTicket
        if Int32(bitPattern: w.lastAppliedSeq &- ackedSeq) > 0 { ackedSeq = w.lastAppliedSeq }
        if state == .resuming { catchUpFromSeq = w.lastAppliedSeq &+ 1 }
        if clock.offsetMicros == nil { clock.observe(tick: w.serverTick, nowMicros: now) }
        // The Hello -> Welcome round trip is the first RTT sample when no pong came yet: without
        // it the first inputs would be stamped with a lead of a few ticks and arrive late.
        if rtt.samples == 0, lastHelloMicros > 0 {
            rtt.add(sampleMicros: now - lastHelloMicros)
            stats.rttMillis = Double(rtt.smoothedMicros) / 1000
        }
        state = .playing
        helloSent = false
        lastSentSeq = nil
        updatesSinceSend = config.sendEveryTicks
    }

    private func frame(_ f: FramePacket, _ bytes: UnsafeRawBufferPointer, _ now: Int64) throws(ClientError) {
        guard state == .playing || state == .resuming, let slot else { stats.badPackets += 1; throw .unexpected("frame") }
        payload.removeAll(keepingCapacity: true)
        payload.append(contentsOf: bytes)
        var baseline: MatchState?
        if let b = f.baselineTick {
            guard let s = driver?.frame(at: b) else { stats.badPackets += 1; throw .missingBaseline(b) }
            baseline = s
        }
        let st: MatchState
        do { st = try DeltaCodec.decode(payload, baseline: baseline) } catch {
            stats.badPackets += 1
            throw .delta(error)
        }
        guard st.tick == f.tick, slot < st.karts.count else { stats.badPackets += 1; throw .badSlot(slot) }
        countFrame(f, tick: st.tick)
        clock.observe(tick: st.tick, nowMicros: now)
        observeInputMargin(f.inputMargin, now)
        if Int32(bitPattern: f.lastAppliedSeq &- ackedSeq) > 0 {
            if tickAnchor != nil { stats.inputsAcked += Int(f.lastAppliedSeq &- ackedSeq) }
            if probe != nil { probeApplied(after: ackedSeq, upTo: f.lastAppliedSeq, now) }
            ackedSeq = f.lastAppliedSeq
        }
        guard driver != nil else {
            do {
                driver = try PredictionDriver(track: track, rules: RaceRules(laps: st.race.totalLaps), localSlot: slot,
                                              initial: st, interpolationDelayTicks: config.interpolationDelayTicks,
                                              frameRing: config.frameRing)
            } catch { throw .badSlot(slot) }
            remotePoses = [InterpolationBuffer.Pose?](repeating: nil, count: st.karts.count)
            return
        }
        compareWithPrediction(st, slot: slot)
        let r: ClientPredictor.Reconciliation
        do { r = try driver!.accept(st, arrivalQ8: now * 256 / clock.tickMicros) } catch {
            stats.badPackets += 1
            throw .unexpected("player count changed")
        }
        if r.kind == .rolledBack { stats.rollbacks += 1 }
        if r.correction > 0 {
            probe?.correction(r.correction)
            stats.corrections += 1
            correctionWindowCount += 1
            corrections.add(q16: r.correction)
            stats.correctionMeanMetres = corrections.meanMetres
            stats.correctionP99Metres = corrections.quantileMetres(0.99)
        }
        if r.snapped { stats.snaps += 1 }
    }

    private func countFrame(_ f: FramePacket, tick: UInt32) {
        stats.framesReceived += 1
        if f.baselineTick == nil { stats.framesFull += 1 } else { stats.framesDelta += 1 }
        if let first = firstFrameTick {
            let span = Int(Int32(bitPattern: tick &- first))
            if span > 0 { stats.framesExpected = max(stats.framesExpected, span / config.frameIntervalTicks + 1) }
        } else {
            firstFrameTick = tick
            stats.framesExpected = 1
        }
    }

    /// Prediction error (what we had predicted for this tick vs the authority) and whether
    /// the shard used our input for it.
    private func compareWithPrediction(_ st: MatchState, slot: Int) {
        let p = driver!.predictor
        guard st.tick > p.lastAuthoritativeTick, st.tick <= p.currentTick else { return }
        if let mine = p.predictedLocal(at: st.tick) {
            let a = st.karts[slot]
            let e = CorrectionSmoother.length(Int64(mine.x) - Int64(a.x), Int64(mine.y) - Int64(a.y))
            predictionErrors.add(q16: e)
            stats.predictionChecks += 1
            if e == 0 { stats.predictionExact += 1 }
            stats.predictionErrorMeanMetres = predictionErrors.meanMetres
            stats.predictionErrorMaxMetres = predictionErrors.maxMetres
        }
        if st.tick >= 1, let recorded = p.buffer.input(at: st.tick &- 1) {
            stats.inputChecks += 1
            if st.karts[slot].lastInput != recorded { stats.inputMisses += 1 }
        }
    }
}

extension ClientSession {
    /// ``receive(_:nowMillis:)`` for an array (tests, tools, cold paths).
    public func receive(bytes: [UInt8], nowMillis: UInt64) throws(ClientError) {
        let result: Result<Void, ClientError> = bytes.withUnsafeBytes { raw in
            do throws(ClientError) { try receive(raw, nowMillis: nowMillis); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }
}

extension ClientSession {
    /// Feeds the shard's input-margin report to the adaptive lead. A change shows in the report
    /// once the shard's window (64 arrivals, one per input packet) has seen only inputs sent
    /// under it, plus a round trip.
    func observeInputMargin(_ margin: Int8, _ now: Int64) {
        guard margin != PlayerAck.unknownMargin else { return }
        stats.inputMargin = Int(margin)
        guard config.adaptiveLead else { return }
        let window = Int64(Limits.inputMarginArrivals * config.sendEveryTicks) * clock.tickMicros
        leadControl.observe(margin: margin, nowMicros: now, holdMicros: window + rtt.smoothedMicros,
                            baseLead: baseLeadTicks, maxLead: config.maxLeadTicks)
    }

    /// The lead the RTT formula gives now (before the adaptive adjustment).
    var baseLeadTicks: Int {
        clock.leadTicks(rtt: rtt, sendEveryTicks: config.sendEveryTicks, extra: config.extraLeadTicks, max: config.maxLeadTicks)
    }
}

