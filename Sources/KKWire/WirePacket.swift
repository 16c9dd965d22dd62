/// A packet with a fixed body layout. Conformers write and read only their body; the header
/// and checksum come from ``PacketFraming``.
public protocol WirePacket: Sendable {
    /// The type byte this packet is sent with.
    static var type: PacketType { get }
    /// Writes the body fields.
    func encodeBody(into w: inout WireWriter) throws(WireError)
    /// Reads the body fields (the reader ends where the body ends).
    init(body r: inout WireReader) throws(WireError)
}

extension WirePacket {
    /// Writes header, body and checksum.
    @inlinable
    public func encode(protocolId: UInt32 = Limits.defaultProtocolId, into w: inout WireWriter) throws(WireError) {
        let start = try PacketFraming.begin(Self.type, protocolId: protocolId, into: &w)
        try encodeBody(into: &w)
        try PacketFraming.finish(&w, start: start)
    }

    /// Decodes a whole packet of this type; anything else is an error.
    @inlinable
    public static func decode(_ packet: UnsafeRawBufferPointer,
                              protocolId: UInt32 = Limits.defaultProtocolId,
                              maxBytes: Int = Limits.maxDatagramBytes) throws(WireError) -> Self {
        var (type, r) = try PacketFraming.open(packet, protocolId: protocolId, maxBytes: maxBytes)
        guard type == Self.type else { throw .unknownType }
        let p = try Self(body: &r)
        try r.expectEnd()
        return p
    }

    /// Encodes into a new array (tests, tools, cold paths).
    public func encoded(protocolId: UInt32 = Limits.defaultProtocolId,
                        capacity: Int = Limits.maxDatagramBytes) throws(WireError) -> [UInt8] {
        try WireWriter.bytes(capacity: capacity) { (w) throws(WireError) in try encode(protocolId: protocolId, into: &w) }
    }
}

extension Array where Element == UInt8 {
    /// Decodes this array as one packet of type `P` (tests, cold paths).
    public func decodePacket<P: WirePacket>(_: P.Type, protocolId: UInt32 = Limits.defaultProtocolId,
                                            maxBytes: Int = Limits.maxDatagramBytes) throws(WireError) -> P {
        let result: Result<P, WireError> = withUnsafeBytes { raw in
            do throws(WireError) { return .success(try P.decode(raw, protocolId: protocolId, maxBytes: maxBytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
