import KKPhysics

/// Jitter / interpolation buffer for drawing remote karts: keeps recent authoritative
/// snapshots and samples them `delayTicks` behind the newest one, interpolating linearly
/// between the two snapshots that bracket the render time. When the render time runs past
/// the newest snapshot (a late or lost frame) it holds the newest pose and counts an
/// underrun. It also estimates arrival jitter and recommends a delay.
public struct InterpolationBuffer: Sendable {
    /// A drawable pose, Q16.16 metres and binary angle.
    public struct Pose: Equatable, Sendable {
        public var x: Int64, y: Int64, heading: UInt16
    }

    public let capacity: Int
    public let playerCount: Int
    /// Render delay behind the newest snapshot, in 1/256 ticks.
    public var delayQ8: Int64
    private var ticks: [UInt32]
    private var poses: [Pose]
    private var count = 0
    private var newest = -1
    /// Samples that found no bracketing pair (held the last pose).
    public private(set) var underruns = 0
    public private(set) var samples = 0
    /// Smoothed absolute deviation of arrival spacing from the tick spacing, 1/256 ticks.
    public private(set) var jitterQ8: Int64 = 0
    private var lastArrival: (localTick: Int64, tick: UInt32)?

    public init(playerCount: Int, capacity: Int = 32, delayTicks: Int = 6) {
        self.capacity = max(capacity, 2)
        self.playerCount = playerCount
        delayQ8 = Int64(delayTicks) * 256
        ticks = [UInt32](repeating: 0, count: self.capacity)
        poses = [Pose](repeating: Pose(x: 0, y: 0, heading: 0), count: self.capacity * playerCount)
    }

    /// Adds an authoritative snapshot received at local time `arrivalQ8` (1/256 ticks).
    /// Out-of-order snapshots older than the newest are dropped.
    public mutating func push(_ state: MatchState, arrivalQ8: Int64) {
        guard state.karts.count == playerCount else { return }
        if newest >= 0 && state.tick <= ticks[newest] { return }
        if let last = lastArrival {
            let expected = Int64(state.tick &- last.tick) * 256
            let actual = arrivalQ8 - last.localTick
            jitterQ8 += (abs(actual - expected) - jitterQ8) / 8
        }
        lastArrival = (arrivalQ8, state.tick)
        newest = (newest + 1) % capacity
        count = min(count + 1, capacity)
        ticks[newest] = state.tick
        for k in 0..<playerCount {
            let s = state.karts[k]
            poses[newest * playerCount + k] = Pose(x: Int64(s.x), y: Int64(s.y), heading: s.heading)
        }
    }

    /// Newest snapshot tick, if any.
    public var newestTick: UInt32? { newest >= 0 ? ticks[newest] : nil }

    /// Suggested delay: the snapshot interval plus twice the measured jitter, in ticks.
    public func recommendedDelayTicks(sendInterval: Int) -> Int {
        sendInterval + Int((2 * jitterQ8 + 255) / 256)
    }

    /// Pose of `kart` at render time `timeQ8` (1/256 ticks, in server tick units).
    public mutating func sample(kart: Int, atQ8 timeQ8: Int64) -> Pose? {
        guard newest >= 0, kart >= 0, kart < playerCount else { return nil }
        samples += 1
        var later = newest
        for step in 0..<count {
            let i = (newest - step + capacity) % capacity
            let t = Int64(ticks[i]) * 256
            if t <= timeQ8 {
                if i == newest { underruns += timeQ8 > t ? 1 : 0; return poses[i * playerCount + kart] }
                let a = poses[i * playerCount + kart], b = poses[later * playerCount + kart]
                let span = Int64(ticks[later]) * 256 - t
                let f = span > 0 ? ((timeQ8 - t) << 16) / span : 0
                let dh = Int64(Int16(truncatingIfNeeded: b.heading &- a.heading))
                return Pose(x: a.x + ((b.x - a.x) * f) >> 16, y: a.y + ((b.y - a.y) * f) >> 16,
                            heading: a.heading &+ UInt16(truncatingIfNeeded: (dh * f) >> 16))
            }
            later = i
        }
        return poses[later * playerCount + kart]  // older than everything held: oldest pose
    }

    /// Samples at `delayQ8` behind the newest snapshot.
    public mutating func sampleDelayed(kart: Int) -> Pose? {
        guard let t = newestTick else { return nil }
        return sample(kart: kart, atQ8: Int64(t) * 256 - delayQ8)
    }
}
