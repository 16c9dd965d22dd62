/// Checkpoints, laps, finishing, idle timeouts and race end.
enum RaceProgress {
    /// Gate depth: a kart passes a checkpoint once it is 0...12 m beyond the gate line
    /// and within the track width (+1 m) of the gate vertex.
    static let gateDepth8: Int64 = 12 * 256

    static func checkpoints(_ state: inout MatchState, slot: Int, track: Track) {
        var k = state.karts[slot]
        guard k.status == .racing else { return }
        let cpCount = track.gates.count
        let cp = Int(k.nextCheckpoint) % cpCount
        let g = track.gates[cp]
        let rx = (Int64(k.x) >> 8) - g.x, ry = (Int64(k.y) >> 8) - g.y
        let along = (rx * g.tx + ry * g.ty) >> 16
        let across = abs(ry * g.tx - rx * g.ty) >> 16
        guard along >= 0 && along <= gateDepth8 && across <= (Int64(track.halfWidth) >> 8) + 256 else { return }
        if cp == 0 {
            if k.lap == 0 {
                k.lap = 1
            } else if k.lap >= state.race.totalLaps {
                k.status = .finished
                k.finishTick = state.tick &+ 1
                let place = Int(state.race.finishedCount)
                if place < state.race.finishOrder.count {
                    state.race.finishOrder[place] = UInt8(slot)
                    state.race.finishedCount += 1
                }
            } else {
                k.lap += 1
                if k.boostStock < KartTuning.maxBoostStock { k.boostStock += 1 }
            }
        }
        k.nextCheckpoint = UInt8((cp + 1) % cpCount)
        state.karts[slot] = k
    }

    /// Idle bookkeeping for one racing kart given the input it sent.
    static func idle(_ k: inout KartState, input: KartInput, rules: RaceRules) {
        guard k.status == .racing else { return }
        if input.isNeutral {
            if k.idleTicks < UInt16.max { k.idleTicks += 1 }
            if k.idleTicks >= rules.idleTimeoutTicks { k.status = .retiredIdle }
        } else {
            k.idleTicks = 0
        }
    }

    /// Grace period, time limit and end of race; called once per racing tick after karts moved.
    static func endOfTick(_ state: inout MatchState, rules: RaceRules, graceStarted: Bool) {
        if graceStarted { state.race.graceTicks = rules.finishGraceTicks }
        else if state.race.graceTicks != .max {
            if state.race.graceTicks == 0 { timeOutRemaining(&state) } else { state.race.graceTicks -= 1 }
        }
        if state.race.phaseTicks >= rules.maxRaceTicks { timeOutRemaining(&state) }
        var anyRacing = false
        for i in 0..<state.karts.count where state.karts[i].status == .racing { anyRacing = true; break }
        if !anyRacing { state.race.phase = .finished }
    }

    private static func timeOutRemaining(_ state: inout MatchState) {
        for i in 0..<state.karts.count where state.karts[i].status == .racing {
            state.karts[i].status = .timedOut
        }
    }
}
