/// An ordered queue of outgoing actions, each with a target and (optionally) encoded bytes, for
/// a sans-I/O core: the core appends, the I/O layer drains in order. The bytes of all entries
/// live in one reused arena and packets are encoded straight into it, so a steady stream of
/// packets allocates nothing (the arena and the entry arrays keep their capacity).
///
/// A class, so a core and the drain its I/O layer runs share it. Entries are read as
/// ``OutboundEntry`` values whose `bytes` slice the arena: drain them all (``drain()``), or read
/// ``count`` and ``subscript(_:)`` and then ``removeAll()``, before appending again.
public final class OutboundQueue<Target> {
    private var targets: [Target] = []
    private var starts: [Int] = []
    private var ends: [Int] = []
    private var arena: [UInt8]
    private var used = 0

    /// A queue whose arena starts at `arenaBytes` (it grows when a burst needs more).
    public init(arenaBytes: Int = 64 * 1024, entries: Int = 256) {
        arena = [UInt8](repeating: 0, count: arenaBytes)
        targets.reserveCapacity(entries)
        starts.reserveCapacity(entries)
        ends.reserveCapacity(entries)
    }

    public var count: Int { targets.count }
    public var isEmpty: Bool { targets.isEmpty }

    /// Entry `i`: its target and its bytes (empty for an action without bytes).
    public subscript(i: Int) -> OutboundEntry<Target> {
        OutboundEntry(target: targets[i], bytes: arena[starts[i]..<ends[i]])
    }

    /// Yields every entry in order, entries appended meanwhile included, then empties the queue.
    public func drain() -> OutboundDrain<Target> { OutboundDrain(queue: self) }

    /// Queues an action without bytes.
    public func append(_ target: Target) {
        targets.append(target)
        starts.append(used)
        ends.append(used)
    }

    /// Queues the newest entry's bytes again for another target (one encode, several sends).
    public func appendCopyOfLast(to target: Target) {
        guard let s = starts.last, let e = ends.last else { return }
        targets.append(target)
        starts.append(s)
        ends.append(e)
    }

    /// Encodes a packet of at most `maxBytes` straight into the arena and queues it; returns
    /// its length, or 0 (nothing queued) when `body` failed, e.g. the packet did not fit.
    @discardableResult
    public func append(_ target: Target, maxBytes: Int = Limits.maxDatagramBytes,
                                encoding body: (inout WireWriter) throws(WireError) -> Void) -> Int {
        if arena.count < used + maxBytes { arena.append(contentsOf: repeatElement(0, count: max(arena.count, used + maxBytes - arena.count))) }
        let start = used
        let n = arena.withUnsafeMutableBytes { raw -> Int in
            var w = WireWriter(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + maxBytes)]))
            do throws(WireError) { try body(&w) } catch { return 0 }
            return w.count
        }
        guard n > 0 else { return 0 }
        targets.append(target)
        starts.append(start)
        ends.append(start + n)
        used += n
        return n
    }

    /// Takes back the newest entry (e.g. a packet a rate limit refused after it was encoded).
    public func removeLast() {
        let start = starts.removeLast(), end = ends.removeLast()
        targets.removeLast()
        // Its bytes are reused unless an earlier entry shares them.
        if end == used, (ends.last ?? 0) <= start { used = start }
    }

    /// Forgets every entry (capacity is kept).
    public func removeAll() {
        targets.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        used = 0
    }
}

/// One entry of an ``OutboundQueue``: where it goes and its bytes (empty for an action without).
public struct OutboundEntry<Target> {
    public let target: Target
    /// A slice of the queue's arena, valid until the queue is appended to after the drain.
    public let bytes: ArraySlice<UInt8>
}

/// Drains an ``OutboundQueue`` in order. Entries that calls made while draining append are
/// yielded by the same pass; at the end the queue is emptied. Drain to the end.
public struct OutboundDrain<Target>: Sequence, IteratorProtocol {
    let queue: OutboundQueue<Target>
    var index = 0

    public mutating func next() -> OutboundEntry<Target>? {
        guard index < queue.count else {
            queue.removeAll()
            return nil
        }
        defer { index += 1 }
        return queue[index]
    }
}
