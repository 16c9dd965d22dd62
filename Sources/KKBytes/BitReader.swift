/// LSB-first bit reader over a ``ByteReader``, the inverse of ``BitWriter``. Bytes are taken
/// from the byte reader only when a read needs them, so after ``finish()`` the byte reader
/// stands right after the bit-packed body.
public struct BitReader<Failure: ByteErrorConvertible> {
    /// The bytes being read (advanced a whole byte at a time).
    public var bytes: ByteReader<Failure>
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var count = 0

    @inlinable public init(_ bytes: ByteReader<Failure>) { self.bytes = bytes }

    /// Reads `n` bits (0...32), lowest first.
    @inlinable
    public mutating func read(bits n: Int) throws(Failure) -> UInt64 {
        while count < n {
            acc |= UInt64(try bytes.readUInt8()) &<< UInt64(count)
            count += 8
        }
        let v = acc & ((1 &<< UInt64(n)) &- 1)
        acc &>>= UInt64(n)
        count -= n
        return v
    }

    /// Reads one bit (the hot path of Exp-Golomb codes).
    @inlinable
    public mutating func bit() throws(Failure) -> UInt64 {
        if count == 0 {
            acc = UInt64(try bytes.readUInt8())
            count = 8
        }
        let b = acc & 1
        acc &>>= 1
        count -= 1
        return b
    }

    /// Reads `n` bits for any n in 0...64.
    @inlinable
    public mutating func readWide(bits n: Int) throws(Failure) -> UInt64 {
        if n <= 32 { return try read(bits: n) }
        let low = try read(bits: 32)
        return low | (try read(bits: n - 32)) &<< 32
    }

    /// Reads one bit as a flag.
    @inlinable
    public mutating func flag() throws(Failure) -> Bool { try bit() == 1 }

    /// Reads an Exp-Golomb code of order `k`; more than 48 leading zeros is
    /// `.codeTooLong` (no value the writer accepts needs them).
    @inlinable
    public mutating func expGolomb(k: Int) throws(Failure) -> UInt64 {
        var zeros = 0
        while try bit() == 0 {
            zeros += 1
            guard zeros <= 48 else { throw Failure(byteError: .codeTooLong) }
        }
        var v: UInt64 = 1
        for _ in 0..<(zeros + k) { v = (v &<< 1) | (try bit()) }
        return v &- (1 &<< UInt64(k))
    }

    /// Ends the bit-packed body: the padding bits left in its last byte must be zero
    /// (`.nonZeroPadding`). Returns the byte reader, positioned after the body.
    @inlinable
    public func finish() throws(Failure) -> ByteReader<Failure> {
        guard acc == 0 else { throw Failure(byteError: .nonZeroPadding) }
        return bytes
    }
}
