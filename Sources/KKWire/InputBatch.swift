/// One input in the relay-to-shard stream: which player of which match, for which tick.
public struct BatchedInput: Equatable, Hashable, Sendable {
    public var matchId: UInt64
    public var playerId: UInt64
    public var tick: UInt32
    public var seq: UInt32
    public var input: InputSample

    @inlinable
    public init(matchId: UInt64, playerId: UInt64, tick: UInt32, seq: UInt32, input: InputSample) {
        self.matchId = matchId
        self.playerId = playerId
        self.tick = tick
        self.seq = seq
        self.input = input
    }

    /// Bytes of one entry on the wire.
    public static let wireBytes = Limits.batchedInputBytes
}

/// Relay -> shard: a batch of the Z-ordered input stream, entries sorted by (tick, player, seq).
///
/// Written incrementally into a caller's buffer (``begin(batchSeq:protocolId:into:)``, ``append(_:)``,
/// ``finish()``) and read in place with ``InputBatchView``: neither allocates.
public struct InputBatchWriter {
    @usableFromInline var start = 0
    @usableFromInline var countAt = 0
    /// Entries appended so far.
    @usableFromInline var _count = 0
    /// Entries appended so far.
    @inlinable public var count: Int { _count }

    public init() {}

    /// Entries that still fit in `w` (leaving room for the checksum).
    @inlinable
    public func room(in w: WireWriter) -> Int {
        min(Limits.maxBatchEntries - _count, max(0, (w.capacityLeft - Limits.checksumBytes) / BatchedInput.wireBytes))
    }

    /// Starts a batch: header, batch sequence number, count placeholder.
    @inlinable
    public mutating func begin(batchSeq: UInt32, protocolId: UInt32 = Limits.defaultProtocolId,
                               into w: inout WireWriter) throws(WireError) {
        start = try PacketFraming.begin(.inputBatch, protocolId: protocolId, into: &w)
        try w.writeUInt32(batchSeq)
        countAt = try w.skip(2)
        _count = 0
    }

    @inlinable
    public mutating func append(_ e: BatchedInput, into w: inout WireWriter) throws(WireError) {
        guard _count < Limits.maxBatchEntries else { throw .countOutOfRange }
        try w.writeUInt64(e.matchId)
        try w.writeUInt64(e.playerId)
        try w.writeUInt32(e.tick)
        try w.writeUInt32(e.seq)
        try w.writeUInt16(e.input.raw)
        _count += 1
    }

    /// Patches the count and appends the checksum.
    @inlinable
    public mutating func finish(into w: inout WireWriter) throws(WireError) {
        w.patchUInt16(UInt16(_count), at: countAt)
        try PacketFraming.finish(&w, start: start)
    }
}

/// A decoded ``InputBatchWriter`` batch, read in place from the packet buffer.
public struct InputBatchView {
    public let batchSeq: UInt32
    public let count: Int
    @usableFromInline let entries: WireReader

    /// Reads the batch header from a body reader; checks that exactly `count` entries follow.
    @inlinable
    public init(body r: inout WireReader) throws(WireError) {
        batchSeq = try r.readUInt32()
        count = Int(try r.readUInt16())
        guard count <= Limits.maxBatchEntries else { throw .countOutOfRange }
        guard r.remaining == count * BatchedInput.wireBytes else {
            throw r.remaining < count * BatchedInput.wireBytes ? .truncated : .trailingBytes
        }
        entries = r
        _ = try r.readRange(count: r.remaining)
    }

    /// Calls `body` for each entry in order.
    @inlinable
    public func forEach(_ body: (BatchedInput) throws(WireError) -> Void) throws(WireError) {
        var r = entries
        for _ in 0..<count {
            let e = BatchedInput(matchId: try r.readUInt64(), playerId: try r.readUInt64(),
                                 tick: try r.readUInt32(), seq: try r.readUInt32(),
                                 input: InputSample(raw: try r.readUInt16()))
            try body(e)
        }
    }

    /// All entries (allocates; tests and tools).
    public func all() throws(WireError) -> [BatchedInput] {
        var out: [BatchedInput] = []
        out.reserveCapacity(count)
        try forEach { out.append($0) }
        return out
    }
}
