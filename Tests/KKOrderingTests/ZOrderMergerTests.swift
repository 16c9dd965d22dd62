import KKOrdering
import KKTestSupport
import KKWire
import Testing

@Suite struct ZOrderMergerTests {
    /// Property: whatever the push order, pops come out sorted by (tick, player, seq) and each
    /// player's own stream keeps its order.
    @Test(arguments: [UInt64(11), 12, 13])
    func mergeIsTotalOrder(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let base: UInt32 = seed == 13 ? UInt32.max - 20 : 100
        var streams: [[BatchedInput]] = []
        for p in 0..<50 {
            let lead = UInt32.random(in: 0...3, using: &rng)
            streams.append((0..<40).map { k in
                BatchedInput(matchId: UInt64(p % 5), playerId: UInt64(1000 + p), tick: base &+ lead &+ UInt32(k),
                             seq: UInt32(p * 7) &+ UInt32(k), input: .neutral)
            })
        }
        var merger = ZOrderMerger(capacity: 4096)
        var cursors = [Int](repeating: 0, count: streams.count)
        var remaining = streams.count * 40
        while remaining > 0 {
            let p = Int.random(in: 0..<streams.count, using: &rng)
            guard cursors[p] < 40 else { continue }
            let pushed = merger.push(streams[p][cursors[p]])
            #expect(pushed)
            cursors[p] += 1
            remaining -= 1
        }
        var out: [BatchedInput] = []
        while let e = merger.pop() { out.append(e) }
        #expect(out.count == 2000)
        for i in 1..<out.count { #expect(!ZOrder.precedes(out[i], out[i - 1])) }
        for p in 0..<streams.count {
            let own = out.filter { $0.playerId == UInt64(1000 + p) } == streams[p]
            #expect(own)
        }
    }

    @Test func fullMergerRefuses() {
        var m = ZOrderMerger(capacity: 2)
        let e = BatchedInput(matchId: 1, playerId: 1, tick: 1, seq: 1, input: .neutral)
        let a = m.push(e), b = m.push(e), c = m.push(e)
        #expect(a && b && !c)
        let popped = m.pop()
        #expect(popped == e && m.count == 1)
    }

    /// Reorder buffers feeding the merger: the shard stream is the same whatever the arrival order.
    @Test func reorderThenMergeIsDeterministic() {
        func stream(seed: UInt64) -> [BatchedInput] {
            var rng = SplitMix64(seed: seed)
            var buffers = (0..<8).map { _ in InputReorderBuffer(startSeq: 0) }
            var packets: [(Int, InputPacket)] = []
            for player in 0..<8 {
                for p in ReorderBufferTests.packets(start: 0, inputs: 60, stride: 3, redundancy: 9) {
                    packets.append((player, p))
                }
            }
            packets.shuffle(using: &rng)
            var merger = ZOrderMerger()
            for (player, p) in packets {
                _ = buffers[player].receive(p) { o in
                    _ = merger.push(BatchedInput(matchId: 1, playerId: UInt64(player), tick: o.tick, seq: o.seq, input: o.input))
                }
            }
            var out: [BatchedInput] = []
            while let e = merger.pop() { out.append(e) }
            return out
        }
        let a = stream(seed: 1)
        #expect(a.count == 480)
        let same = a == stream(seed: 2) && a == stream(seed: 3)
        #expect(same)
    }
}
