/// Callbacks a load generator hangs on a ``ClientSession`` (``ClientSession/probe``) to measure
/// input-to-authoritative-frame latency and correction distances without copying the session's
/// state. Called on the session's thread, inside `update` / `receive`; keep them cheap.
public final class SessionProbe {
    /// An input of sequence `seq` recorded at `recordedMicros` was first confirmed by a frame
    /// (its `lastAppliedSeq` reached `seq`) arriving at `appliedMicros` (caller time, ms resolution).
    public var inputApplied: (_ seq: UInt32, _ recordedMicros: Int64, _ appliedMicros: Int64) -> Void
    /// A frame moved the local kart's predicted position by `q16` metres (16.16 fixed point).
    public var correction: (_ q16: Int64) -> Void
    /// A rendered frame moved the local kart's drawn position by `q16` metres more than its
    /// prediction moved (the smoother paying off a correction; called only while it is).
    public var visualStep: (_ q16: Int64) -> Void

    public init(inputApplied: @escaping (UInt32, Int64, Int64) -> Void = { _, _, _ in },
                correction: @escaping (Int64) -> Void = { _ in },
                visualStep: @escaping (Int64) -> Void = { _ in }) {
        self.inputApplied = inputApplied
        self.correction = correction
        self.visualStep = visualStep
    }
}

extension ClientSession {
    /// Remembers when the inputs of local ticks `from...to` were recorded (a 512-entry ring by seq).
    func probeRecorded(from: UInt32, to: UInt32, _ now: Int64) {
        var t = from
        while true {
            let s = seq(ofTick: t)
            let i = Int(s & 511)
            probeSeqs[i] = s
            probeMicros[i] = now
            if t == to { break }
            t &+= 1
        }
    }

    /// Reports every input in `(after, upTo]` still in the ring (at most the ring's size).
    func probeApplied(after: UInt32, upTo: UInt32, _ now: Int64) {
        guard let probe else { return }
        let n = min(Int(upTo &- after), 512)
        var s = upTo &- UInt32(n) &+ 1
        for _ in 0..<n {
            let i = Int(s & 511)
            if probeSeqs[i] == s { probe.inputApplied(s, probeMicros[i], now); probeSeqs[i] = 0 }
            s &+= 1
        }
    }
}
