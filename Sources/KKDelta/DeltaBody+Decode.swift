import KKBytes
import KKPhysics

extension DeltaBody {
    static func decode(_ r: inout DeltaBitReader, tick: UInt32, baseline b: MatchState, dt: Int64) throws(DeltaError) -> MatchState {
        let race = try decodeRace(&r, b.race, playerCount: b.karts.count, dt)
        var karts = b.karts
        var orders = InlineArray<5, Int>(repeating: 0) // one per motion field; no heap allocation
        for f in 0..<motionFields { orders[f] = Int(try r.read(bits: 5)) }
        for i in 0..<karts.count {
            let bk = b.karts[i]
            var k = bk
            if try r.flag() {
                let vx = Int64(bk.vx) &+ unzigzag(try r.expGolomb(k: orders[0]))
                let vy = Int64(bk.vy) &+ unzigzag(try r.expGolomb(k: orders[1]))
                k.vx = try int32(vx, "vx"); k.vy = try int32(vy, "vy")
                k.x = try int32(predictPos(bk.x, bk.vx, k.vx, dt) &+ unzigzag(try r.expGolomb(k: orders[2])), "x")
                k.y = try int32(predictPos(bk.y, bk.vy, k.vy, dt) &+ unzigzag(try r.expGolomb(k: orders[3])), "y")
                let dh = unzigzag(try r.expGolomb(k: orders[4]))
                guard dh >= Int64(Int16.min) && dh <= Int64(Int16.max) else { throw .invalidField("heading") }
                k.heading = bk.heading &+ UInt16(bitPattern: Int16(dh))
            } else {
                // Unchanged motion still follows the dead-reckoning prediction with residual 0.
                k.x = try int32(predictPos(bk.x, bk.vx, bk.vx, dt), "x")
                k.y = try int32(predictPos(bk.y, bk.vy, bk.vy, dt), "y")
            }
            try decodeOther(&r, &k, bk, dt)
            karts[i] = k
        }
        return MatchState(tick: tick, race: race, karts: karts)
    }

    static func decodeRace(_ r: inout DeltaBitReader, _ b: RaceState, playerCount: Int, _ dt: Int64) throws(DeltaError) -> RaceState {
        var race = b
        guard try r.flag() else {
            race.phaseTicks = UInt32(predictPhaseTicks(b, phase: b.phase, dt))
            race.graceTicks = UInt16(predictGrace(b, dt))
            return race
        }
        if try r.flag() {
            guard let p = RacePhase(rawValue: UInt8(try r.read(bits: 2))) else { throw .invalidField("phase") }
            race.phase = p
        }
        race.phaseTicks = try r.flag() ? UInt32(try r.read(bits: 32)) : UInt32(predictPhaseTicks(b, phase: race.phase, dt))
        if try r.flag() { race.totalLaps = UInt8(try r.read(bits: 8)) }
        race.graceTicks = try r.flag() ? UInt16(try r.read(bits: 16)) : UInt16(predictGrace(b, dt))
        if try r.flag() {
            let count = Int(try r.read(bits: 5))
            guard count <= playerCount else { throw .invalidField("finishedCount") }
            race.finishedCount = UInt8(count)
            race.finishOrder = [UInt8](repeating: 0xFF, count: playerCount)
            for i in 0..<count {
                let slot = UInt8(try r.read(bits: 8))
                guard Int(slot) < playerCount else { throw .invalidField("finishOrder") }
                race.finishOrder[i] = slot
            }
        }
        if try r.flag() { race.rng = try r.readWide(bits: 64) }
        return race
    }

    static func decodeOther(_ r: inout DeltaBitReader, _ k: inout KartState, _ b: KartState, _ dt: Int64) throws(DeltaError) {
        if try r.flag() {
            let buttons = try r.flag() ? UInt8(try r.read(bits: 8)) : b.lastInput.buttons
            let steer = Int64(b.lastInput.steer) &+ unzigzag(try r.expGolomb(k: 3))
            guard steer >= -127 && steer <= 127 else { throw .invalidField("steer") }
            k.lastInput = KartInput(buttons: buttons, steer: Int8(steer))
        }
        guard try r.flag() else {
            k.driftCharge = UInt16(predictDrift(b, dir: k.driftDir, dt))
            k.boostTicks = UInt16(predictBoost(b, dt))
            return
        }
        if try r.flag() { k.lap = UInt8(try r.read(bits: 8)) }
        if try r.flag() { k.nextCheckpoint = UInt8(try r.read(bits: 8)) }
        if try r.flag() {
            guard let s = KartStatus(rawValue: UInt8(try r.read(bits: 2))) else { throw .invalidField("status") }
            k.status = s
        }
        if try r.flag() {
            let d = Int64(try r.read(bits: 2)) - 1
            guard d <= 1 else { throw .invalidField("driftDir") }
            k.driftDir = Int8(d)
        }
        let drift = predictDrift(b, dir: k.driftDir, dt) &+ (try r.flag() ? unzigzag(try r.expGolomb(k: 3)) : 0)
        k.driftCharge = try uint16(drift, "driftCharge")
        let boost = predictBoost(b, dt) &+ (try r.flag() ? unzigzag(try r.expGolomb(k: 3)) : 0)
        k.boostTicks = try uint16(boost, "boostTicks")
        if try r.flag() { k.boostStock = UInt8(try r.read(bits: 8)) }
        if try r.flag() { k.idleTicks = try uint16(Int64(b.idleTicks) &+ unzigzag(try r.expGolomb(k: 3)), "idleTicks") }
        if try r.flag() { k.finishTick = UInt32(try r.read(bits: 32)) }
    }

    static func int32(_ v: Int64, _ name: String) throws(DeltaError) -> Int32 {
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw .invalidField(name) }
        return Int32(v)
    }

    static func uint16(_ v: Int64, _ name: String) throws(DeltaError) -> UInt16 {
        guard v >= 0 && v <= Int64(UInt16.max) else { throw .invalidField(name) }
        return UInt16(v)
    }
}
