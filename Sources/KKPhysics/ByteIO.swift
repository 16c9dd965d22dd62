/// A destination for canonical bytes (an array, a hasher...).
public protocol ByteSink {
    mutating func put(_ byte: UInt8)
}

extension ByteSink {
    @inlinable public mutating func put16(_ v: UInt16) {
        put(UInt8(truncatingIfNeeded: v)); put(UInt8(truncatingIfNeeded: v >> 8))
    }
    @inlinable public mutating func put32(_ v: UInt32) {
        put16(UInt16(truncatingIfNeeded: v)); put16(UInt16(truncatingIfNeeded: v >> 16))
    }
    @inlinable public mutating func put64(_ v: UInt64) {
        put32(UInt32(truncatingIfNeeded: v)); put32(UInt32(truncatingIfNeeded: v >> 32))
    }
}

/// Appends to a byte array.
public struct ArraySink: ByteSink {
    public var bytes: [UInt8]
    public init(bytes: [UInt8] = []) { self.bytes = bytes }
    @inlinable public mutating func put(_ byte: UInt8) { bytes.append(byte) }
}

/// Bounds-checked little-endian reader; every read throws `.truncated` on short input.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public init(_ bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }
    public var remaining: Int { bytes.count - offset }

    public mutating func u8() throws(PhysicsError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }
    public mutating func u16() throws(PhysicsError) -> UInt16 {
        let lo = try u8(), hi = try u8()
        return UInt16(lo) | UInt16(hi) << 8
    }
    public mutating func u32() throws(PhysicsError) -> UInt32 {
        let lo = try u16(), hi = try u16()
        return UInt32(lo) | UInt32(hi) << 16
    }
    public mutating func u64() throws(PhysicsError) -> UInt64 {
        let lo = try u32(), hi = try u32()
        return UInt64(lo) | UInt64(hi) << 32
    }
    public mutating func i32() throws(PhysicsError) -> Int32 { Int32(bitPattern: try u32()) }
}
