import KKBytes

extension MatchState {
    /// Writes the canonical form (layout in docs/GAMEPLAY.md) to any sink.
    @inlinable public func write<S: ByteSink>(to s: inout S) {
        s.put(MatchState.version)
        s.put32(tick)
        s.put(UInt8(truncatingIfNeeded: karts.count))
        s.put(race.phase.rawValue)
        s.put32(race.phaseTicks)
        s.put(race.totalLaps)
        s.put16(race.graceTicks)
        s.put(race.finishedCount)
        s.put64(race.rng)
        for i in 0..<karts.count {
            s.put(i < race.finishOrder.count ? race.finishOrder[i] : 0xFF)
        }
        for i in 0..<karts.count { KartState.write(karts[i], to: &s) }
    }

    /// Parses into `self`, reusing the storage of its kart and finish-order arrays (no
    /// allocation once they are large enough and not shared). On error `self` is unspecified.
    mutating func read(from r: inout ByteReader<PhysicsError>) throws(PhysicsError) {
        let v = try r.readUInt8()
        guard v == MatchState.version else { throw .badVersion(v) }
        tick = try r.readUInt32()
        let count = Int(try r.readUInt8())
        guard count >= 1 && count <= Limits.maxPlayersPerMatch else { throw .badPlayerCount(count) }
        guard let phase = RacePhase(rawValue: try r.readUInt8()) else { throw .invalidField("phase") }
        race.phase = phase
        race.phaseTicks = try r.readUInt32()
        race.totalLaps = try r.readUInt8()
        race.graceTicks = try r.readUInt16()
        let finished = try r.readUInt8()
        guard Int(finished) <= count else { throw .invalidField("finishedCount") }
        race.finishedCount = finished
        race.rng = try r.readUInt64()
        race.finishOrder.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let slot = try r.readUInt8()
            if i < Int(finished) {
                guard Int(slot) < count else { throw .invalidField("finishOrder") }
            } else {
                guard slot == 0xFF else { throw .invalidField("finishOrder") }
            }
            race.finishOrder.append(slot)
        }
        karts.removeAll(keepingCapacity: true)
        for _ in 0..<count { karts.append(try KartState.read(from: &r)) }
    }
}

extension KartState {
    @inlinable static func write<S: ByteSink>(_ k: KartState, to s: inout S) {
        s.put32(UInt32(bitPattern: k.x)); s.put32(UInt32(bitPattern: k.y))
        s.put32(UInt32(bitPattern: k.vx)); s.put32(UInt32(bitPattern: k.vy))
        s.put16(k.heading)
        s.put(k.lap); s.put(k.nextCheckpoint); s.put(k.status.rawValue)
        s.put(UInt8(bitPattern: k.driftDir))
        s.put16(k.driftCharge); s.put16(k.boostTicks); s.put(k.boostStock)
        s.put(k.lastInput.buttons); s.put(UInt8(bitPattern: k.lastInput.steer))
        s.put16(k.idleTicks); s.put32(k.finishTick)
    }

    static func read(from r: inout ByteReader<PhysicsError>) throws(PhysicsError) -> KartState {
        var k = KartState(x: try r.readInt32(), y: try r.readInt32(), heading: 0)
        k.vx = try r.readInt32(); k.vy = try r.readInt32()
        k.heading = try r.readUInt16()
        k.lap = try r.readUInt8(); k.nextCheckpoint = try r.readUInt8()
        guard let status = KartStatus(rawValue: try r.readUInt8()) else { throw .invalidField("status") }
        k.status = status
        let drift = Int8(bitPattern: try r.readUInt8())
        guard drift >= -1 && drift <= 1 else { throw .invalidField("driftDir") }
        k.driftDir = drift
        k.driftCharge = try r.readUInt16(); k.boostTicks = try r.readUInt16(); k.boostStock = try r.readUInt8()
        let buttons = try r.readUInt8()
        let steer = Int8(bitPattern: try r.readUInt8())
        guard steer != Int8.min else { throw .invalidField("steer") }
        k.lastInput = KartInput(buttons: buttons, steer: steer)
        k.idleTicks = try r.readUInt16(); k.finishTick = try r.readUInt32()
        return k
    }
}
