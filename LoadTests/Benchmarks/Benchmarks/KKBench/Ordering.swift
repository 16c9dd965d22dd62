import Benchmark
import KKOrdering
import KKWire

/// 1000 players of one relay, each with its reorder buffer, feeding one Z-order merger.
final class RelayFlushFixture {
    static let players = 1_000
    /// New inputs per packet (a 20 Hz sender at 60 Hz ticks) and how many older ones it repeats.
    static let newPerPacket = 3
    static let redundancy = 6

    var buffers: [InputReorderBuffer]
    var merger = ZOrderMerger()
    var packet = InputPacket(seq: 0, tick: 0, ackFrameTick: 0)
    /// Sequence and tick of the newest input of the next cycle (the same for every player).
    var seq: UInt32 = 10_000
    var tick: UInt32 = 500_000
    let matchId: UInt64 = 77

    init() {
        buffers = [InputReorderBuffer](repeating: InputReorderBuffer(startSeq: 10_000 - UInt32(Self.newPerPacket - 1)),
                                       count: Self.players)
        packet.count = Self.newPerPacket + Self.redundancy
        for i in 0..<packet.count { packet.inputs[i] = InputSample(buttons: 0x01, steer: Int8(i * 5 - 20)) }
    }

    /// One relay flush cycle over `range` of the players: receive one packet each, merge what
    /// they deliver, then pop the whole merged stream. Returns inputs popped.
    @inline(__always)
    func cycle(_ range: Range<Int>) -> Int {
        packet.seq = seq
        packet.tick = tick
        packet.ackFrameTick = tick &- 6
        packet.inputs[0] = InputSample(buttons: UInt8(truncatingIfNeeded: seq & 0x07), steer: Int8(truncatingIfNeeded: seq & 0x3F))
        for p in range {
            let pid = UInt64(p) &* 2_654_435_761 // player ids not in slot order
            let mid = matchId
            _ = buffers[p].receive(packet) { o in
                _ = self.merger.push(BatchedInput(matchId: mid, playerId: pid, tick: o.tick, seq: o.seq, input: o.input))
            }
        }
        var n = 0
        while let e = merger.pop() { blackHole(e); n += 1 }
        seq &+= UInt32(Self.newPerPacket)
        tick &+= UInt32(Self.newPerPacket)
        return n
    }
}

func orderingBenchmarks() {
    let f = RelayFlushFixture()
    let first = f.cycle(0..<RelayFlushFixture.players)
    guard first == RelayFlushFixture.players * RelayFlushFixture.newPerPacket else {
        fatalError("relay flush delivered \(first), expected \(RelayFlushFixture.players * RelayFlushFixture.newPerPacket)")
    }

    // scaledIterations = 1000 = the players: numbers are per player-packet (3 inputs delivered,
    // 6 redundant dropped, 3 pushed into and popped from the merger).
    Benchmark("Ordering: reorder+merge, 1000 players (per player-packet)", configuration: kkConfig(.kilo, iterations: 5_000)) { benchmark in
        blackHole(f.cycle(benchmark.scaledIterations))
    }
}
