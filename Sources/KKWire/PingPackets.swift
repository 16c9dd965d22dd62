/// Client -> relay: an RTT probe. The relay answers with a ``PongPacket`` echoing both fields.
public struct PingPacket: WirePacket, Equatable {
    public static let type = PacketType.ping
    public var pingId: UInt32
    /// The client's clock when sending, in microseconds (opaque to the relay).
    public var clientTimeMicros: UInt64

    public init(pingId: UInt32, clientTimeMicros: UInt64) {
        self.pingId = pingId
        self.clientTimeMicros = clientTimeMicros
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt32(pingId)
        try w.writeUInt64(clientTimeMicros)
    }

    public init(body r: inout WireReader) throws(WireError) {
        self.init(pingId: try r.readUInt32(), clientTimeMicros: try r.readUInt64())
    }
}

/// Relay -> client: the answer to a ``PingPacket``.
public struct PongPacket: WirePacket, Equatable {
    public static let type = PacketType.pong
    public var pingId: UInt32
    public var clientTimeMicros: UInt64
    /// Newest authoritative tick the relay has seen for the client's match (lets the client
    /// estimate its tick lead).
    public var serverTick: UInt32

    public init(pingId: UInt32, clientTimeMicros: UInt64, serverTick: UInt32) {
        self.pingId = pingId
        self.clientTimeMicros = clientTimeMicros
        self.serverTick = serverTick
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt32(pingId)
        try w.writeUInt64(clientTimeMicros)
        try w.writeUInt32(serverTick)
    }

    public init(body r: inout WireReader) throws(WireError) {
        self.init(pingId: try r.readUInt32(), clientTimeMicros: try r.readUInt64(), serverTick: try r.readUInt32())
    }
}
