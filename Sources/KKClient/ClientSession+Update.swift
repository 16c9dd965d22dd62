import KKPhysics
import KKPrediction
import KKWire

extension ClientSession {
    /// Called by the game at 60 Hz with the player's current controls: timers (Hello retry,
    /// pings, silence), then the input for each newly predicted tick is recorded, the match is
    /// predicted ahead and, every `sendEveryTicks` calls, an input packet is queued.
    public func update(nowMillis: UInt64, input: KartInput) {
        let now = Self.micros(nowMillis)
        switch state {
        case .idle, .connecting, .handshaking, .ended:
            return
        case .joining, .resuming:
            if now - phaseStartMicros > Self.micros(config.joinTimeoutMillis) { state = .ended(.timedOut); return }
            if helloSent && now - lastHelloMicros >= Self.micros(config.helloRetryMillis) { sendHello(now) }
        case .playing:
            if now - lastHeardMicros > Self.micros(config.silenceTimeoutMillis) { state = .ended(.timedOut); return }
        }
        if state == .playing || helloSent { pingIfDue(now) }
        rollCorrectionWindow(now)
        predict(now, input: input)
        if state == .playing { sendInputsIfDue() }
    }

    func pingIfDue(_ now: Int64) {
        guard now >= nextPingMicros else { return }
        // Four times as often until a few samples are in: the lead needs a good RTT early.
        let interval = rtt.samples < 4 ? config.pingIntervalMillis / 4 : config.pingIntervalMillis
        nextPingMicros = now + Self.micros(interval)
        pingId &+= 1
        queue(PingPacket(pingId: pingId, clientTimeMicros: UInt64(bitPattern: now)))
        stats.pingsSent += 1
    }

    private func rollCorrectionWindow(_ now: Int64) {
        let elapsed = now - correctionWindowStart
        guard elapsed >= 1_000_000 else { return }
        relayWatch.observe(framesExpected: stats.framesExpected, framesReceived: stats.framesReceived)
        stats.correctionsPerSecond = correctionWindowStart == 0 ? 0 : Double(correctionWindowCount) * 1e6 / Double(elapsed)
        correctionWindowStart = now
        correctionWindowCount = 0
    }

    /// Records `input` for every tick up to the target (estimated server tick + lead, at most
    /// `maxCatchUpTicks` new ticks per call; none when the clock says we are ahead), predicts,
    /// and samples remote karts. Prediction goes on while resuming: the game keeps running.
    private func predict(_ now: Int64, input: KartInput) {
        guard driver != nil, let serverQ8 = clock.serverTickQ8(nowMicros: now) else { return }
        let base = baseLeadTicks
        let lead = config.adaptiveLead ? leadControl.lead(base: base, maxLead: config.maxLeadTicks) : base
        stats.leadTicks = lead
        stats.leadAdjustTicks = leadControl.adjustTicks
        let target = serverQ8 / 256 + Int64(lead)
        if tickAnchor == nil {
            // The session's first inputs: ticks from the first frame up to the target would reach
            // the shard after it stepped them. They are filled with what the shard uses for a
            // tick without input (the kart's last input) and never sent; sending starts at the
            // target, so the first inputs arrive in time instead of late.
            let first = driver!.nextInputTick
            if target > Int64(first) {
                let slot = driver!.predictor.localSlot
                let upTo = UInt32(clamping: min(target - 1, Int64(first) + 2 * Int64(config.maxLeadTicks)))
                driver!.record(upTo: upTo) { sim in sim.state.karts[slot].lastInput }
            }
            tickAnchor = driver!.nextInputTick
        }
        let next = driver!.nextInputTick
        if target >= Int64(next) {
            let upTo = UInt32(clamping: min(target, Int64(next) + Int64(config.maxCatchUpTicks) - 1))
            driver!.record(upTo: upTo) { _ in input }
            stats.inputsRecorded += Int(upTo &- next) + 1
            if probe != nil { probeRecorded(from: next, to: upTo, now) }
        }
        let renderQ8 = serverQ8 - Int64(config.interpolationDelayTicks) * 256
        let predictTo = driver!.nextInputTick
        let before = driver!.predictor.smoother
        remotePoses.withUnsafeMutableBufferPointer { poses in
            driver!.render(predictTo: predictTo, renderTimeQ8: renderQ8, poses: poses)
        }
        if let probe, !before.isSettled {
            let after = driver!.predictor.smoother
            probe.visualStep(CorrectionSmoother.length(before.offsetX - after.offsetX, before.offsetY - after.offsetY))
        }
    }

    /// After a resume: the unapplied inputs older than the next packet's window, oldest first,
    /// up to 32 per packet and 8 packets; stops where the input history ends (never an input
    /// that was not recorded).
    private func sendCatchUp(from: UInt32, before end: UInt32, anchor: UInt32, driver d: PredictionDriver) {
        var start = from
        if Int32(bitPattern: start &- seq(ofTick: anchor)) < 0 { start = seq(ofTick: anchor) }
        var packets = 0
        while Int32(bitPattern: end &- start) > 0, packets < 8 {
            let last = Int32(bitPattern: end &- start) > Int32(Limits.maxInputsPerPacket) ? start &+ UInt32(Limits.maxInputsPerPacket) &- 1 : end &- 1
            let n = Int(last &- start) + 1
            var p = InputPacket(seq: last, tick: tick(ofSeq: last) &+ 1, ackFrameTick: d.newestFrame ?? 0)
            for i in 0..<n {
                guard let k = d.predictor.buffer.input(at: tick(ofSeq: last &- UInt32(i))) else { return }
                p.inputs[i] = InputSample(buttons: k.buttons, steer: k.steer)
            }
            p.count = n
            queue(p)
            stats.inputPacketsSent += 1
            stats.catchUpInputsSent += n
            packets += 1
            start = last &+ 1
        }
    }

    private func sendInputsIfDue() {
        updatesSinceSend += 1
        guard updatesSinceSend >= config.sendEveryTicks, let d = driver, let anchor = tickAnchor,
              d.nextInputTick != anchor else { return }
        let newestTick = d.nextInputTick &- 1
        let newestSeq = seq(ofTick: newestTick)
        guard lastSentSeq != newestSeq else { return }
        let unacked = Int(Int32(bitPattern: newestSeq &- ackedSeq))
        let recorded = Int(newestTick &- anchor) + 1
        let count = max(1, min(config.inputRedundancy, unacked, recorded))
        if let from = catchUpFromSeq {
            catchUpFromSeq = nil
            sendCatchUp(from: from, before: newestSeq &- UInt32(count) &+ 1, anchor: anchor, driver: d)
        }
        var p = InputPacket(seq: newestSeq, tick: newestTick &+ 1, ackFrameTick: d.newestFrame ?? 0)
        for i in 0..<count {
            let k = d.predictor.buffer.input(at: newestTick &- UInt32(i)) ?? .neutral
            p.inputs[i] = InputSample(buttons: k.buttons, steer: k.steer)
        }
        p.count = count
        queue(p)
        stats.inputPacketsSent += 1
        lastSentSeq = newestSeq
        updatesSinceSend = 0
    }
}
