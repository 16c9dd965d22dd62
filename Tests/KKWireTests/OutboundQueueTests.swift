import Testing
import KKWire

/// The queue a sans-I/O core fills and its I/O layer drains.
@Suite struct OutboundQueueTests {
    @Test func drainsInOrderWithBytesAndCopies() {
        let q = OutboundQueue<Int>(arenaBytes: 8, entries: 2)
        #expect(q.append(1) { w throws(WireError) in try w.writeUInt32(0xAABB_CCDD) } == 4)
        q.appendCopyOfLast(to: 2)
        q.append(3)
        #expect(q.append(4) { w throws(WireError) in try w.writeBytes([UInt8](repeating: 7, count: 40)) } == 40)  // grows the arena
        var seen: [(Int, [UInt8])] = []
        for out in q.drain() { seen.append((out.target, Array(out.bytes))) }
        #expect(seen.map(\.0) == [1, 2, 3, 4])
        #expect(seen[0].1 == [0xDD, 0xCC, 0xBB, 0xAA] && seen[1].1 == seen[0].1 && seen[2].1.isEmpty)
        #expect(seen[3].1 == [UInt8](repeating: 7, count: 40))
        #expect(q.isEmpty && !q.isDraining)
    }

    @Test func aFailedEncodeQueuesNothing() {
        let q = OutboundQueue<Int>()
        #expect(q.append(1, maxBytes: 2) { w throws(WireError) in try w.writeUInt32(1) } == 0)
        #expect(q.isEmpty)
    }

    /// A drain started inside a drain (an I/O callback firing synchronously) yields nothing, and
    /// what it queued is delivered once, in order, by the running drain.
    @Test func nestedDrainYieldsNothingAndLosesNothing() {
        let q = OutboundQueue<Int>()
        q.append(1)
        var delivered: [Int] = []
        var nestedSaw: [Int] = []
        for out in q.drain() {
            delivered.append(out.target)
            if out.target == 1 {
                q.append(2)
                for inner in q.drain() { nestedSaw.append(inner.target) }
                q.append(3)
            }
        }
        #expect(delivered == [1, 2, 3])
        #expect(nestedSaw.isEmpty)
        #expect(q.isEmpty && !q.isDraining)
        q.append(4)
        #expect(q.drain().map(\.target) == [4], "a later drain works again")
    }
}
