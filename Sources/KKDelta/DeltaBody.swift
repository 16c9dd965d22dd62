import KKBytes
import KKPhysics

/// The bit-packed delta body. Every field is predicted from the baseline (and from fields
/// already decoded); only differences from the prediction are sent.
enum DeltaBody {
    /// Motion fields coded with a per-frame Exp-Golomb order: vx, vy, x, y, heading.
    static let motionFields = 5

    // MARK: predictions shared by both directions

    /// Trapezoidal dead reckoning: baseline position + average of both velocities × dt.
    @inline(__always) static func predictPos(_ b: Int32, _ bv: Int32, _ v: Int32, _ dt: Int64) -> Int64 {
        Int64(b) + ((Int64(bv) + Int64(v)) * dt) >> 1
    }
    @inline(__always) static func predictDrift(_ b: KartState, dir: Int8, _ dt: Int64) -> Int64 {
        (dir != 0 && b.driftDir == dir) ? min(Int64(b.driftCharge) + dt, 65_535) : 0
    }
    @inline(__always) static func predictBoost(_ b: KartState, _ dt: Int64) -> Int64 { max(0, Int64(b.boostTicks) - dt) }
    static func predictPhaseTicks(_ b: RaceState, phase: RacePhase, _ dt: Int64) -> Int64 {
        if phase == .countdown && b.phase == .countdown { return max(0, Int64(b.phaseTicks) - dt) }
        if phase != .countdown && b.phase != .countdown { return min(Int64(b.phaseTicks) + dt, Int64(UInt32.max)) }
        return Int64(b.phaseTicks)
    }
    static func predictGrace(_ b: RaceState, _ dt: Int64) -> Int64 {
        b.graceTicks == .max ? Int64(UInt16.max) : max(0, Int64(b.graceTicks) - dt)
    }

    // MARK: encode

    static func encode(_ s: MatchState, baseline b: MatchState, dt: Int64, _ w: inout DeltaBitWriter) {
        encodeRace(s.race, b.race, dt, &w)
        let n = s.karts.count
        // Residuals and orders live on the stack: this runs per client per frame on the relay.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n * motionFields) { res in
            for i in 0..<n {
                let k = s.karts[i], bk = b.karts[i]
                res[i * 5 + 0] = zigzag(Int64(k.vx) - Int64(bk.vx))
                res[i * 5 + 1] = zigzag(Int64(k.vy) - Int64(bk.vy))
                res[i * 5 + 2] = zigzag(Int64(k.x) - predictPos(bk.x, bk.vx, k.vx, dt))
                res[i * 5 + 3] = zigzag(Int64(k.y) - predictPos(bk.y, bk.vy, k.vy, dt))
                res[i * 5 + 4] = zigzag(Int64(Int16(truncatingIfNeeded: k.heading &- bk.heading)))
            }
            var orders = InlineArray<5, Int>(repeating: 0) // one per motion field
            for f in 0..<motionFields {
                var best = Int.max
                for order in 0..<32 {
                    var bits = 0
                    for i in 0..<n { bits += expGolombBits(res[i * 5 + f], k: order) }
                    if bits < best { best = bits; orders[f] = order }
                }
                w.write(UInt64(orders[f]), bits: 5)
            }
            for i in 0..<n {
                var moving = false
                for f in 0..<motionFields where res[i * 5 + f] != 0 { moving = true }
                w.bit(moving)
                if moving { for f in 0..<motionFields { w.expGolomb(res[i * 5 + f], k: orders[f]) } }
                encodeOther(s.karts[i], b.karts[i], dt, &w)
            }
        }
    }

    static func encodeRace(_ r: RaceState, _ b: RaceState, _ dt: Int64, _ w: inout DeltaBitWriter) {
        let phaseChanged = r.phase != b.phase
        let ticksChanged = Int64(r.phaseTicks) != predictPhaseTicks(b, phase: r.phase, dt)
        let lapsChanged = r.totalLaps != b.totalLaps
        let graceChanged = Int64(r.graceTicks) != predictGrace(b, dt)
        let finishChanged = r.finishedCount != b.finishedCount || r.finishOrder != b.finishOrder
        let rngChanged = r.rng != b.rng
        let any = phaseChanged || ticksChanged || lapsChanged || graceChanged || finishChanged || rngChanged
        w.bit(any)
        guard any else { return }
        w.bit(phaseChanged); if phaseChanged { w.write(UInt64(r.phase.rawValue), bits: 2) }
        w.bit(ticksChanged); if ticksChanged { w.write(UInt64(r.phaseTicks), bits: 32) }
        w.bit(lapsChanged); if lapsChanged { w.write(UInt64(r.totalLaps), bits: 8) }
        w.bit(graceChanged); if graceChanged { w.write(UInt64(r.graceTicks), bits: 16) }
        w.bit(finishChanged)
        if finishChanged {
            w.write(UInt64(r.finishedCount), bits: 5)
            for i in 0..<Int(r.finishedCount) { w.write(UInt64(r.finishOrder[i]), bits: 8) }
        }
        w.bit(rngChanged); if rngChanged { w.write(r.rng, bits: 64) }
    }

    static func encodeOther(_ k: KartState, _ b: KartState, _ dt: Int64, _ w: inout DeltaBitWriter) {
        let c = [
            k.lap != b.lap, k.nextCheckpoint != b.nextCheckpoint, k.status != b.status,
            k.driftDir != b.driftDir, Int64(k.driftCharge) != predictDrift(b, dir: k.driftDir, dt),
            Int64(k.boostTicks) != predictBoost(b, dt), k.boostStock != b.boostStock,
            k.idleTicks != b.idleTicks, k.finishTick != b.finishTick,
        ]
        // The last input changes often: its own flag, buttons raw, steering as a residual.
        let inputChanged = k.lastInput != b.lastInput
        w.bit(inputChanged)
        if inputChanged {
            let buttonsChanged = k.lastInput.buttons != b.lastInput.buttons
            w.bit(buttonsChanged)
            if buttonsChanged { w.write(UInt64(k.lastInput.buttons), bits: 8) }
            w.expGolomb(zigzag(Int64(k.lastInput.steer) - Int64(b.lastInput.steer)), k: 3)
        }
        let any = c.contains(true)
        w.bit(any)
        guard any else { return }
        w.bit(c[0]); if c[0] { w.write(UInt64(k.lap), bits: 8) }
        w.bit(c[1]); if c[1] { w.write(UInt64(k.nextCheckpoint), bits: 8) }
        w.bit(c[2]); if c[2] { w.write(UInt64(k.status.rawValue), bits: 2) }
        w.bit(c[3]); if c[3] { w.write(UInt64(Int64(k.driftDir) + 1), bits: 2) }
        w.bit(c[4]); if c[4] { w.expGolomb(zigzag(Int64(k.driftCharge) - predictDrift(b, dir: k.driftDir, dt)), k: 3) }
        w.bit(c[5]); if c[5] { w.expGolomb(zigzag(Int64(k.boostTicks) - predictBoost(b, dt)), k: 3) }
        w.bit(c[6]); if c[6] { w.write(UInt64(k.boostStock), bits: 8) }
        w.bit(c[7]); if c[7] { w.expGolomb(zigzag(Int64(k.idleTicks) - Int64(b.idleTicks)), k: 3) }
        w.bit(c[8]); if c[8] { w.write(UInt64(k.finishTick), bits: 32) }
    }
}
