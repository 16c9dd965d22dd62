/// An ordered queue of outgoing actions, each with a target and (optionally) encoded bytes, for
/// a sans-I/O core: the core appends, the I/O layer drains in order. The bytes of all entries
/// live in one reused arena and packets are encoded straight into it, so a steady stream of
/// packets allocates nothing (the arena and the entry array keep their capacity).
///
/// A class, so a core and the drain its I/O layer runs share it. Entries are read as
/// ``OutboundEntry`` values whose `bytes` slice the arena: drain them all (``drain()``), or read
/// ``count`` and ``subscript(_:)`` and then ``removeAll()``, before appending again.
///
/// Inlinable: the cores live in other modules and append per packet, so they get code
/// specialized for their target type instead of generic calls through witness tables.
public final class OutboundQueue<Target> {
    @usableFromInline
    struct Entry {
        @usableFromInline var target: Target
        @usableFromInline var start: Int
        @usableFromInline var end: Int

        @inlinable init(target: Target, start: Int, end: Int) {
            self.target = target
            self.start = start
            self.end = end
        }
    }

    @usableFromInline var entries: [Entry] = []
    @usableFromInline var arena: [UInt8]
    @usableFromInline var used = 0
    @usableFromInline var draining = false

    /// A queue whose arena starts at `arenaBytes` (it grows when a burst needs more).
    @inlinable
    public init(arenaBytes: Int = 64 * 1024, entries capacity: Int = 256) {
        arena = [UInt8](repeating: 0, count: arenaBytes)
        entries.reserveCapacity(capacity)
    }

    @inlinable public var count: Int { entries.count }
    @inlinable public var isEmpty: Bool { entries.isEmpty }

    /// Entry `i`: its target and its bytes (empty for an action without bytes).
    @inlinable
    public subscript(i: Int) -> OutboundEntry<Target> {
        let e = entries[i]
        return OutboundEntry(target: e.target, bytes: arena[e.start..<e.end])
    }

    /// Yields every entry in order, entries appended meanwhile included, then empties the queue.
    /// A drain started while another one runs (an I/O callback that fires synchronously inside
    /// the first drain and drains again) yields nothing: the running drain delivers what was
    /// queued, once and in order. So the I/O layer needs no re-entrancy guard of its own.
    @inlinable
    public func drain() -> OutboundDrain<Target> {
        let nested = draining
        draining = true
        return OutboundDrain(queue: self, nested: nested)
    }

    /// True while a drain runs.
    @inlinable public var isDraining: Bool { draining }

    /// Queues an action without bytes.
    @inlinable
    public func append(_ target: Target) {
        entries.append(Entry(target: target, start: used, end: used))
    }

    /// Queues the newest entry's bytes again for another target (one encode, several sends).
    @inlinable
    public func appendCopyOfLast(to target: Target) {
        guard let last = entries.last else { return }
        entries.append(Entry(target: target, start: last.start, end: last.end))
    }

    /// Encodes a packet of at most `maxBytes` straight into the arena and queues it; returns
    /// its length, or 0 (nothing queued) when `body` failed, e.g. the packet did not fit.
    @inlinable
    @discardableResult
    public func append(_ target: Target, maxBytes: Int = Limits.maxDatagramBytes,
                       encoding body: (inout WireWriter) throws(WireError) -> Void) -> Int {
        let start = used
        if arena.count < start + maxBytes { grow(to: start + maxBytes) }
        let n = arena.withUnsafeMutableBytes { raw -> Int in
            var w = WireWriter(UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + maxBytes)]))
            do throws(WireError) { try body(&w) } catch { return 0 }
            return w.count
        }
        guard n > 0 else { return 0 }
        entries.append(Entry(target: target, start: start, end: start + n))
        used = start + n
        return n
    }

    @usableFromInline
    func grow(to bytes: Int) {
        arena.append(contentsOf: repeatElement(0, count: max(arena.count, bytes - arena.count)))
    }

    /// Takes back the newest entry (e.g. a packet a rate limit refused after it was encoded).
    @inlinable
    public func removeLast() {
        let e = entries.removeLast()
        // Its bytes are reused unless an earlier entry shares them.
        if e.end == used, (entries.last?.end ?? 0) <= e.start { used = e.start }
    }

    /// Forgets every entry (capacity is kept) and ends a drain.
    @inlinable
    public func removeAll() {
        entries.removeAll(keepingCapacity: true)
        used = 0
        draining = false
    }
}

/// One entry of an ``OutboundQueue``: where it goes and its bytes (empty for an action without).
public struct OutboundEntry<Target> {
    public let target: Target
    /// A slice of the queue's arena, valid until the queue is appended to after the drain.
    public let bytes: ArraySlice<UInt8>

    @inlinable
    init(target: Target, bytes: ArraySlice<UInt8>) {
        self.target = target
        self.bytes = bytes
    }
}

/// Drains an ``OutboundQueue`` in order. Entries that calls made while draining append are
/// yielded by the same pass; at the end the queue is emptied. Drain to the end (until `next()`
/// returns nil): the queue counts as draining until then.
public struct OutboundDrain<Target>: Sequence, IteratorProtocol {
    @usableFromInline let queue: OutboundQueue<Target>
    @usableFromInline var index = 0
    /// Started inside another drain: yields nothing.
    @usableFromInline let nested: Bool

    @inlinable
    init(queue: OutboundQueue<Target>, nested: Bool) {
        self.queue = queue
        self.nested = nested
    }

    @inlinable
    public mutating func next() -> OutboundEntry<Target>? {
        if nested { return nil }
        guard index < queue.count else {
            queue.removeAll()
            return nil
        }
        defer { index += 1 }
        return queue[index]
    }
}
