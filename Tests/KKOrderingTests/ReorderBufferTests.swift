import KKOrdering
import KKTestSupport
import KKWire
import Testing

@Suite struct ReorderBufferTests {
    /// The packets a client sends: one per `stride` inputs, each carrying the last `redundancy`.
    static func packets(start: UInt32, inputs: Int, stride: Int, redundancy: Int) -> [InputPacket] {
        var out: [InputPacket] = []
        var newest = stride - 1
        while newest < inputs {
            let n = min(redundancy, newest + 1)
            let newestFirst = (0..<n).map { k in sample(start &+ UInt32(newest - k)) }
            out.append(InputPacket(seq: start &+ UInt32(newest), tick: 10_000 &+ start &+ UInt32(newest),
                                   ackFrameTick: 0, newestFirst: newestFirst))
            newest += stride
        }
        return out
    }

    static func sample(_ seq: UInt32) -> InputSample { InputSample(raw: UInt16(truncatingIfNeeded: seq &* 2_654_435_761 >> 7)) }

    func run(_ packets: [InputPacket], start: UInt32) -> ([OrderedInput], ReorderStats) {
        var b = InputReorderBuffer(startSeq: start)
        var out: [OrderedInput] = []
        var total = ReorderStats()
        for p in packets {
            let s = b.receive(p) { out.append($0) }
            total.delivered += s.delivered
            total.duplicates += s.duplicates
            total.skipped += s.skipped
            total.tooFarAhead += s.tooFarAhead
        }
        return (out, total)
    }

    @Test func inOrderDeliversEachInputOnce() {
        let ps = Self.packets(start: 1, inputs: 300, stride: 3, redundancy: 8)
        let (out, stats) = run(ps, start: 1)
        let inOrder = out.map(\.seq) == Array(1...300)
        #expect(inOrder)
        #expect(out.allSatisfy { $0.input == Self.sample($0.seq) && $0.tick == 10_000 + $0.seq })
        #expect(stats.duplicates == ps.reduce(0) { $0 + $1.count } - 300)
    }

    /// Property: any arrival order, duplication and loss pattern whose gaps the redundancy
    /// covers yields exactly the same ordered stream.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func anyOrderAndLossWithinWindowGivesSameStream(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let start: UInt32 = seed.isMultiple(of: 2) ? UInt32.max - 150 : 7  // half the runs wrap
        let ps = Self.packets(start: start, inputs: 600, stride: 3, redundancy: 24)
        // Lose up to 6 packets in a row (18 inputs < 24 redundancy), never the last one.
        var kept: [(Int, InputPacket)] = []
        var lostRun = 0
        for (i, p) in ps.enumerated() {
            if i < ps.count - 1, lostRun < 6, Int.random(in: 0..<100, using: &rng) < 30 { lostRun += 1; continue }
            lostRun = 0
            // Arrival position: sent index plus up to 6 packets (18 inputs) of delay.
            kept.append((i * 8 + Int.random(in: 0..<48, using: &rng), p))
            if Int.random(in: 0..<10, using: &rng) == 0 { kept.append((i * 8 + Int.random(in: 0..<48, using: &rng), p)) }
        }
        kept.sort { $0.0 < $1.0 }
        let (out, stats) = run(kept.map(\.1), start: start)
        let inOrder = out.map(\.seq) == (0..<600).map { start &+ UInt32($0) }
        #expect(inOrder)
        #expect(out.allSatisfy { $0.input == Self.sample($0.seq) })
        #expect(stats.skipped == 0)
    }

    @Test func gapBeyondRedundancyIsSkippedOnceWindowMoves() {
        var b = InputReorderBuffer(startSeq: 0)
        var out: [UInt32] = []
        _ = b.receive(InputPacket(seq: 0, tick: 0, ackFrameTick: 0, newestFirst: [Self.sample(0)])) { out.append($0.seq) }
        // 1...99 lost; 100 arrives alone: the window (64) forces a skip of the oldest missing.
        let s = b.receive(InputPacket(seq: 100, tick: 100, ackFrameTick: 0, newestFirst: [Self.sample(100)])) { out.append($0.seq) }
        #expect(s.skipped == 99 - 63 + 1 - 1)
        #expect(out == [0])
        #expect(b.nextSeq == 100 - 63)
        // Redundancy later fills the rest of the window.
        let fill = (37...100).reversed().map { Self.sample(UInt32($0)) }
        _ = b.receive(InputPacket(seq: 100, tick: 100, ackFrameTick: 0, newestFirst: Array(fill.prefix(32)))) { out.append($0.seq) }
        _ = b.receive(InputPacket(seq: 68, tick: 68, ackFrameTick: 0, newestFirst: Array(fill.suffix(32)))) { out.append($0.seq) }
        #expect(out == [0] + Array(37...100))
    }

    @Test func replayedOldPacketsAreDuplicates() {
        var b = InputReorderBuffer(startSeq: 0)
        let ps = Self.packets(start: 0, inputs: 30, stride: 3, redundancy: 3)
        var n = 0
        for p in ps { _ = b.receive(p) { _ in n += 1 } }
        let s = b.receive(ps[0]) { _ in n += 1 }
        #expect(n == 30)
        #expect(s.duplicates == 3 && s.delivered == 0)
    }

    @Test func absurdJumpIsRefusedNotFollowed() {
        var b = InputReorderBuffer(startSeq: 0)
        let s = b.receive(InputPacket(seq: 1_000_000, tick: 0, ackFrameTick: 0, newestFirst: [.neutral])) { _ in }
        #expect(s.tooFarAhead == 1)
        #expect(b.nextSeq == 0)
    }

    @Test func resetForResumeDropsOldInputs() {
        var b = InputReorderBuffer(startSeq: 0)
        b.reset(startSeq: 51)
        var out: [UInt32] = []
        let p = InputPacket(seq: 52, tick: 52, ackFrameTick: 0, newestFirst: (0..<4).map { Self.sample(52 - UInt32($0)) })
        let s = b.receive(p) { out.append($0.seq) }
        #expect(out == [51, 52])
        #expect(s.duplicates == 2)
    }
}

/// Giving up a gap at once (a resumed client's inputs older than its redundancy are gone).
@Suite struct ReorderGiveUpTests {
    func packet(newest: UInt32, count: Int) -> InputPacket {
        InputPacket(seq: newest, tick: 10_000 &+ newest, ackFrameTick: 0,
                    newestFirst: (0..<count).map { k in InputSample(buttons: 0, steer: Int8(truncatingIfNeeded: Int(newest) - k)) })
    }

    @Test func aGapGivenUpDeliversTheNewerInputsAtOnce() {
        var b = InputReorderBuffer(startSeq: 101)
        // Without giving up: inputs 130...145 wait for 101...129, which never come.
        var delivered: [UInt32] = []
        _ = b.receive(packet(newest: 145, count: 16)) { delivered.append($0.seq) }
        #expect(delivered.isEmpty)
        // Given up before the packet's oldest input: everything held from 130 on flows.
        var c = InputReorderBuffer(startSeq: 101)
        #expect(c.giveUp(before: 130) == 29)
        _ = c.receive(packet(newest: 145, count: 16)) { delivered.append($0.seq) }
        #expect(delivered == Array(130...145))
        #expect(c.nextSeq == 146)
    }

    @Test func givingUpNeverGoesBackAndSurvivesHugeJumpsAndWrap() {
        var b = InputReorderBuffer(startSeq: 50)
        #expect(b.giveUp(before: 40) == 0 && b.nextSeq == 50, "older: nothing")
        #expect(b.giveUp(before: 50) == 0)
        var held: [UInt32] = []
        _ = b.receive(packet(newest: 60, count: 4)) { held.append($0.seq) }  // 57...60 held (gap 50...56)
        #expect(held.isEmpty)
        #expect(b.giveUp(before: 1_000_000) == 999_950 && b.nextSeq == 1_000_000, "held ones dropped, no long loop")
        var after: [UInt32] = []
        _ = b.receive(packet(newest: 1_000_001, count: 2)) { after.append($0.seq) }
        #expect(after == [1_000_000, 1_000_001])
        var w = InputReorderBuffer(startSeq: UInt32.max - 2)
        #expect(w.giveUp(before: 3) == 6 && w.nextSeq == 3)
    }
}
