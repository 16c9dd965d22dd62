/// The envelope shared by every packet: a header (protocol id u32, version u8, type u8), the
/// body, and a CRC32C trailer over header and body.
public enum PacketFraming {
    /// Writes the header. Returns the offset where the packet starts (for ``finish(_:start:)``).
    @inlinable
    public static func begin(_ type: PacketType, protocolId: UInt32,
                             into w: inout WireWriter) throws(WireError) -> Int {
        let start = w.count
        try w.writeUInt32(protocolId)
        try w.writeUInt8(Limits.protocolVersion)
        try w.writeUInt8(type.rawValue)
        return start
    }

    /// Appends the CRC32C of everything written since `start`.
    @inlinable
    public static func finish(_ w: inout WireWriter, start: Int) throws(WireError) {
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: w.written[start...]))
        try w.writeUInt32(crc)
    }

    /// Checks size, protocol id, version and checksum; returns the type and a reader positioned
    /// at the body (its end excludes the trailer). `maxBytes` bounds the whole packet.
    @inlinable
    public static func open(_ packet: UnsafeRawBufferPointer, protocolId: UInt32,
                            maxBytes: Int = Limits.maxDatagramBytes) throws(WireError) -> (PacketType, WireReader) {
        guard packet.count <= maxBytes else { throw .oversized }
        guard packet.count >= Limits.headerBytes + Limits.checksumBytes else { throw .truncated }
        var r = WireReader(packet)
        guard try r.readUInt32() == protocolId else { throw .wrongProtocol }
        guard try r.readUInt8() == Limits.protocolVersion else { throw .wrongVersion }
        let typeByte = try r.readUInt8()
        let bodyEnd = packet.count - Limits.checksumBytes
        let stored = UInt32(littleEndian: packet.loadUnaligned(fromByteOffset: bodyEnd, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: packet[0..<bodyEnd])) == stored else {
            throw .badChecksum
        }
        guard let type = PacketType(rawValue: typeByte) else { throw .unknownType }
        return (type, WireReader(UnsafeRawBufferPointer(rebasing: packet[0..<bodyEnd]), offset: Limits.headerBytes))
    }
}
