/// LSB-first bit writer on top of a ``WireWriter``; used to pack redundant inputs.
@usableFromInline
struct BitWriter {
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var bits: Int = 0

    @inlinable init() {}

    @inlinable
    mutating func write(_ value: UInt32, bits n: Int, into w: inout WireWriter) throws(WireError) {
        acc |= UInt64(value & UInt32(truncatingIfNeeded: (UInt64(1) << n) &- 1)) << UInt64(bits)
        bits += n
        while bits >= 8 {
            try w.writeUInt8(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            bits -= 8
        }
    }

    /// Writes the last partial byte (zero-padded).
    @inlinable
    mutating func flush(into w: inout WireWriter) throws(WireError) {
        if bits > 0 {
            try w.writeUInt8(UInt8(truncatingIfNeeded: acc))
            acc = 0
            bits = 0
        }
    }
}

/// LSB-first bit reader on top of a ``WireReader``.
@usableFromInline
struct BitReader {
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var bits: Int = 0

    @inlinable init() {}

    @inlinable
    mutating func read(bits n: Int, from r: inout WireReader) throws(WireError) -> UInt32 {
        while bits < n {
            acc |= UInt64(try r.readUInt8()) << UInt64(bits)
            bits += 8
        }
        let v = UInt32(truncatingIfNeeded: acc & ((UInt64(1) << UInt64(n)) &- 1))
        acc >>= UInt64(n)
        bits -= n
        return v
    }

    /// Padding bits left in the last byte must be zero.
    @inlinable
    func checkPadding() throws(WireError) {
        guard acc == 0 else { throw .invalidField }
    }
}
