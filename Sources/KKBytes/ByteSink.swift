/// A destination that always takes the next byte: an array (``ArraySink``), a hasher. Canonical
/// forms are written to any sink; the fallible, fixed-size destination is ``ByteWriter``.
public protocol ByteSink {
    /// Appends one byte.
    mutating func put(_ byte: UInt8)
}

extension ByteSink {
    /// Appends a little-endian UInt16.
    @inlinable public mutating func put16(_ v: UInt16) {
        put(UInt8(truncatingIfNeeded: v)); put(UInt8(truncatingIfNeeded: v &>> 8))
    }
    /// Appends a little-endian UInt32.
    @inlinable public mutating func put32(_ v: UInt32) {
        put16(UInt16(truncatingIfNeeded: v)); put16(UInt16(truncatingIfNeeded: v &>> 16))
    }
    /// Appends a little-endian UInt64.
    @inlinable public mutating func put64(_ v: UInt64) {
        put32(UInt32(truncatingIfNeeded: v)); put32(UInt32(truncatingIfNeeded: v &>> 32))
    }
}

/// Appends to a byte array (reserve capacity first to keep a hot path allocation-free).
public struct ArraySink: ByteSink {
    public var bytes: [UInt8]
    @inlinable public init(bytes: [UInt8] = []) { self.bytes = bytes }
    @inlinable public mutating func put(_ byte: UInt8) { bytes.append(byte) }
}

/// Reads a little-endian UInt32 at `offset` of an array already checked to be long enough.
@inlinable
public func loadUInt32LE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) &<< 8 | UInt32(bytes[offset + 2]) &<< 16 | UInt32(bytes[offset + 3]) &<< 24
}
