/// A destination for bytes written one at a time: an array, a hasher, a ``ByteWriter``.
///
/// Sinks that cannot fail (``ArraySink``, hashers) have `Failure == Never`, so writing to them
/// needs no `try`; a ``ByteWriter`` fails when its buffer is full.
public protocol ByteSink {
    /// What writing can fail with (`Never` for sinks that always accept).
    associatedtype Failure: Error
    /// Appends one byte.
    mutating func put(_ byte: UInt8) throws(Failure)
}

extension ByteSink {
    /// Appends a little-endian UInt16.
    @inlinable public mutating func put16(_ v: UInt16) throws(Failure) {
        try put(UInt8(truncatingIfNeeded: v)); try put(UInt8(truncatingIfNeeded: v >> 8))
    }
    /// Appends a little-endian UInt32.
    @inlinable public mutating func put32(_ v: UInt32) throws(Failure) {
        try put16(UInt16(truncatingIfNeeded: v)); try put16(UInt16(truncatingIfNeeded: v >> 16))
    }
    /// Appends a little-endian UInt64.
    @inlinable public mutating func put64(_ v: UInt64) throws(Failure) {
        try put32(UInt32(truncatingIfNeeded: v)); try put32(UInt32(truncatingIfNeeded: v >> 32))
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
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}
