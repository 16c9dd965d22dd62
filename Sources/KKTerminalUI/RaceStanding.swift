import KKPhysics

/// Race positions from a match state: finished karts in finishing order, then the others by
/// laps, checkpoints passed and distance to their next checkpoint.
public enum RaceStanding {
    /// 1-based position of `slot`.
    public static func position(of slot: Int, in state: MatchState, track: Track) -> Int {
        guard slot >= 0, slot < state.karts.count else { return 0 }
        let finished = Int(state.race.finishedCount)
        for i in 0..<finished where Int(state.race.finishOrder[i]) == slot { return i + 1 }
        let mine = progress(state.karts[slot], track: track)
        var ahead = finished
        for k in 0..<state.karts.count where k != slot && state.karts[k].status != .finished {
            let p = progress(state.karts[k], track: track)
            if p.0 > mine.0 || (p.0 == mine.0 && (p.1 < mine.1 || (p.1 == mine.1 && k < slot))) { ahead += 1 }
        }
        return ahead + 1
    }

    /// (checkpoints passed, squared distance to the next checkpoint vertex in Q8 metres).
    static func progress(_ k: KartState, track: Track) -> (Int, Int64) {
        let cps = track.checkpoints.count
        let passed = Int(k.lap) * cps + (Int(k.nextCheckpoint) + cps - 1) % cps
        let v = track.points[track.checkpoints[Int(k.nextCheckpoint) % cps]]
        let dx = (Int64(v.x) - Int64(k.x)) >> 8, dy = (Int64(v.y) - Int64(k.y)) >> 8
        return (passed, dx * dx + dy * dy)
    }
}
