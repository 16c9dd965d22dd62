/// Relay -> client: one authoritative frame, either full or delta-encoded against a baseline
/// frame the client acknowledged. The payload is the match state codec's bytes (opaque here).
///
/// Decoding does not copy the payload: ``payload`` is a range in the decoded buffer.
public struct FramePacket: Equatable, Sendable {
    /// The frame's simulation tick.
    public var tick: UInt32
    /// The baseline tick a delta payload is relative to; `nil` for a full frame.
    public var baselineTick: UInt32?
    /// Newest input sequence of this player the shard had applied at `tick`.
    public var lastAppliedSeq: UInt32
    /// How early this player's recent inputs reached the shard, in ticks (the smallest margin;
    /// negative: late; `PlayerAck.unknownMargin`: unknown): the client's input lead follows it.
    public var inputMargin: Int8
    /// Where the payload sits in the buffer that was decoded.
    public var payload: Range<Int>

    public init(tick: UInt32, baselineTick: UInt32?, lastAppliedSeq: UInt32, inputMargin: Int8 = PlayerAck.unknownMargin,
                payload: Range<Int> = 0..<0) {
        self.tick = tick
        self.baselineTick = baselineTick
        self.lastAppliedSeq = lastAppliedSeq
        self.inputMargin = inputMargin
        self.payload = payload
    }

    /// Writes header fields, lets `body` write the payload straight into the output, patches
    /// the length and appends the checksum. No intermediate copy of the payload.
    @inlinable
    public func encode(protocolId: UInt32 = Limits.defaultProtocolId, into w: inout WireWriter,
                       payload body: (inout WireWriter) throws(WireError) -> Void) throws(WireError) {
        let start = try PacketFraming.begin(baselineTick == nil ? .fullFrame : .deltaFrame,
                                            protocolId: protocolId, into: &w)
        try w.writeUInt32(tick)
        if let baselineTick { try w.writeUInt32(baselineTick) }
        try w.writeUInt32(lastAppliedSeq)
        try w.writeInt8(inputMargin)
        let lengthAt = try w.skip(2)
        let before = w.count
        try body(&w)
        let n = w.count - before
        guard n <= Limits.maxFramePayloadBytes else { throw .oversized }
        w.patchUInt16(UInt16(n), at: lengthAt)
        try PacketFraming.finish(&w, start: start)
    }

    /// Decodes the body of a full or delta frame (`type` from ``PacketFraming/open``).
    @inlinable
    public init(type: PacketType, body r: inout WireReader) throws(WireError) {
        tick = try r.readUInt32()
        switch type {
        case .fullFrame: baselineTick = nil
        case .deltaFrame: baselineTick = try r.readUInt32()
        default: throw .unknownType
        }
        lastAppliedSeq = try r.readUInt32()
        inputMargin = try r.readInt8()
        let n = Int(try r.readUInt16())
        guard n <= Limits.maxFramePayloadBytes else { throw .countOutOfRange }
        payload = try r.readRange(count: n)
    }

    /// Encodes with a payload array (tests, tools).
    public func encoded(payload bytes: [UInt8], protocolId: UInt32 = Limits.defaultProtocolId) throws(WireError) -> [UInt8] {
        try WireWriter.bytes { (w) throws(WireError) in
            try encode(protocolId: protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(bytes) }
        }
    }
}
