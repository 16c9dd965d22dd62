/// LSB-first bit packing: bits fill each byte from its lowest bit, and ``flush(to:)`` zero-pads
/// the last partial byte. The writer holds only the pending bits; the bytes go to the caller's
/// destination on each call: a ``ByteSink`` (the delta codec's body into an ``ArraySink``) or a
/// ``ByteWriter``, which can run out of room (the input packet's redundant inputs).
public struct BitWriter {
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var count = 0

    @inlinable public init() {}

    /// Adds the low `n` bits (n in 0...56) of `value` to the pending bits.
    @inlinable
    mutating func push(_ value: UInt64, bits n: Int) {
        acc |= (value & ((1 &<< UInt64(n)) &- 1)) &<< UInt64(count)
        count += n
    }

    /// Takes the lowest whole byte of the pending bits.
    @inlinable
    mutating func popByte() -> UInt8 {
        let b = UInt8(truncatingIfNeeded: acc)
        acc &>>= 8
        count -= 8
        return b
    }

    /// Writes the low `n` bits of `value` (any n in 0...64).
    @inlinable
    public mutating func write<S: ByteSink>(_ value: UInt64, bits n: Int, to sink: inout S) {
        if n > 32 {
            write(value & 0xFFFF_FFFF, bits: 32, to: &sink)
            write(value &>> 32, bits: n - 32, to: &sink)
            return
        }
        push(value, bits: n)
        while count >= 8 { sink.put(popByte()) }
    }

    /// Writes the low `n` bits (0...32) of `value`; throws when `writer` is full.
    @inlinable
    public mutating func write<F>(_ value: UInt64, bits n: Int, to writer: inout ByteWriter<F>) throws(F) {
        push(value, bits: n)
        while count >= 8 { try writer.writeUInt8(popByte()) }
    }

    /// Writes one bit.
    @inlinable
    public mutating func bit<S: ByteSink>(_ b: Bool, to sink: inout S) { write(b ? 1 : 0, bits: 1, to: &sink) }

    /// Writes the Exp-Golomb code of order `k` for `u` (u < 2^56): the leading zeros, then the
    /// value most-significant bit first, so a reader can stop after the leading 1.
    @inlinable
    public mutating func expGolomb<S: ByteSink>(_ u: UInt64, k: Int, to sink: inout S) {
        let v = u + (1 &<< UInt64(k))
        let n = 64 - v.leadingZeroBitCount
        write(0, bits: n - k - 1, to: &sink)
        var i = n - 1
        while i >= 0 { write((v &>> UInt64(i)) & 1, bits: 1, to: &sink); i -= 1 }
    }

    /// Writes the last partial byte, zero-padded.
    @inlinable
    public mutating func flush<S: ByteSink>(to sink: inout S) {
        if count > 0 { sink.put(UInt8(truncatingIfNeeded: acc)) }
        acc = 0
        count = 0
    }

    /// Writes the last partial byte, zero-padded; throws when `writer` is full.
    @inlinable
    public mutating func flush<F>(to writer: inout ByteWriter<F>) throws(F) {
        if count > 0 { try writer.writeUInt8(UInt8(truncatingIfNeeded: acc)) }
        acc = 0
        count = 0
    }
}

/// Signed to unsigned mapping 0, -1, 1, -2... to 0, 1, 2, 3... (small magnitudes, short codes).
@inlinable public func zigzag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n &<< 1) ^ (n &>> 63)) }
/// Inverse of ``zigzag(_:)``.
@inlinable public func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u &>> 1) ^ -Int64(bitPattern: u & 1) }

/// Size in bits of the Exp-Golomb code of order `k` for `u`.
@inlinable public func expGolombBits(_ u: UInt64, k: Int) -> Int {
    let v = (u &>> UInt64(k)) + 1
    return 2 * (64 - v.leadingZeroBitCount) - 1 + k
}
