import KKWire

/// Builds a whole packet around fuzzed bytes so that mutations reach the body decoders instead
/// of dying at the checksum: the input is the type byte and the body; the protocol id, version
/// and CRC32C trailer are added here. Seeds are real packets with those parts taken off.
enum Framing {
    static func packet(typeAndBody raw: UnsafeRawBufferPointer, limit: Int) -> [UInt8] {
        let n = min(raw.count, limit)
        var out: [UInt8] = []
        out.reserveCapacity(n + Limits.headerBytes + Limits.checksumBytes)
        withUnsafeBytes(of: Limits.defaultProtocolId.littleEndian) { out.append(contentsOf: $0) }
        out.append(Limits.protocolVersion)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
        appendCRC(&out)
        return out
    }

    /// The type byte and body of a whole packet (a seed for a framed target).
    static func typeAndBody(_ packet: [UInt8]) -> [UInt8] {
        Array(packet[(Limits.headerBytes - 1)..<(packet.count - Limits.checksumBytes)])
    }

    /// Appends the CRC32C of `bytes`, little-endian (packets, delta payloads, snapshots).
    static func appendCRC(_ bytes: inout [UInt8]) {
        let crc = CRC32C.checksum(bytes)
        withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// `bytes` without its last four (a checksummed seed for a target that adds the CRC).
    static func withoutCRC(_ bytes: [UInt8]) -> [UInt8] { Array(bytes.dropLast(Limits.checksumBytes)) }
}
