import KKPhysics

/// Ring buffer of the local player's inputs by tick, kept until the server acknowledges
/// them (an authoritative frame for a later tick arrives).
public struct PredictionBuffer: Sendable {
    public let capacity: Int
    private var ticks: [UInt32]
    private var inputs: [KartInput]
    private var valid: [Bool]
    /// Oldest tick that may still be needed for a re-simulation.
    public private(set) var acknowledgedThrough: UInt32?

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 8)
        ticks = [UInt32](repeating: 0, count: self.capacity)
        inputs = [KartInput](repeating: .neutral, count: self.capacity)
        valid = [Bool](repeating: false, count: self.capacity)
    }

    /// Records the local input applied at `tick` (overwrites the slot `capacity` ticks older).
    public mutating func record(tick: UInt32, input: KartInput) {
        let i = Int(tick % UInt32(capacity))
        ticks[i] = tick; inputs[i] = input; valid[i] = true
    }

    /// The input recorded for `tick`, if still held.
    public func input(at tick: UInt32) -> KartInput? {
        let i = Int(tick % UInt32(capacity))
        return valid[i] && ticks[i] == tick ? inputs[i] : nil
    }

    /// Marks ticks before `tick` as acknowledged (their inputs are no longer needed).
    public mutating func acknowledge(before tick: UInt32) {
        acknowledgedThrough = tick
    }

    /// The last `count` inputs up to and including `tick`, oldest first, for redundant sending.
    public func recent(upTo tick: UInt32, count: Int, into out: inout [(tick: UInt32, input: KartInput)]) {
        out.removeAll(keepingCapacity: true)
        var t = Int64(tick) - Int64(count) + 1
        while t <= Int64(tick) {
            if t >= 0, let inp = input(at: UInt32(t)) { out.append((UInt32(t), inp)) }
            t += 1
        }
    }
}
