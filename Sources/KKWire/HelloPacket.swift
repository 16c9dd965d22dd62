/// Client -> relay, the first packet after the DTLS handshake: join the match named by the
/// token, or resume in it after a relay change.
public struct HelloPacket: WirePacket, Equatable {
    public static let type = PacketType.hello

    /// Join fresh, or resume a session that lived on another relay.
    public enum Mode: UInt8, Sendable { case join = 0, resume = 1 }

    public var mode: Mode
    /// Newest frame tick the client holds (0: none); the relay sends a full frame anyway.
    public var lastFrameTick: UInt32
    /// Sequence number the client's next input will carry.
    public var nextInputSeq: UInt32
    /// The game's trace (optional, trailing): the relay logs the join under it and passes it on.
    public var trace: TraceContext?

    public init(mode: Mode, lastFrameTick: UInt32, nextInputSeq: UInt32, trace: TraceContext? = nil) {
        self.mode = mode
        self.lastFrameTick = lastFrameTick
        self.nextInputSeq = nextInputSeq
        self.trace = trace
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt8(mode.rawValue)
        try w.writeUInt32(lastFrameTick)
        try w.writeUInt32(nextInputSeq)
        try trace?.encode(into: &w)
    }

    public init(body r: inout WireReader) throws(WireError) {
        guard let m = Mode(rawValue: try r.readUInt8()) else { throw .invalidField }
        self.init(mode: m, lastFrameTick: try r.readUInt32(), nextInputSeq: try r.readUInt32())
        trace = try TraceContext.decodeTrailing(&r)
    }
}
