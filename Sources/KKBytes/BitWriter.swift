/// LSB-first bit writer into any ``ByteSink``: bits fill each byte from its lowest bit, and
/// the last partial byte is zero-padded by ``finish()``. Used for the input packet's
/// redundant inputs (into a ``ByteWriter``) and the delta codec's body (into an ``ArraySink``).
///
/// The writer owns its sink while it packs: hand the sink in, take it back from ``finish()``.
public struct BitWriter<Sink: ByteSink> {
    /// The sink the completed bytes went to.
    public var sink: Sink
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var count = 0

    @inlinable public init(_ sink: consuming Sink) { self.sink = sink }

    /// Writes the low `n` bits of `value` (any n in 0...64).
    @inlinable
    public mutating func write(_ value: UInt64, bits n: Int) throws(Sink.Failure) {
        if n > 32 {
            try write(value & 0xFFFF_FFFF, bits: 32)
            try write(value >> 32, bits: n - 32)
            return
        }
        if n == 0 { return }
        acc |= (value & ((1 << UInt64(n)) &- 1)) << UInt64(count)
        count += n
        while count >= 8 {
            try sink.put(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            count -= 8
        }
    }

    /// Writes one bit.
    @inlinable
    public mutating func bit(_ b: Bool) throws(Sink.Failure) { try write(b ? 1 : 0, bits: 1) }

    /// Writes the Exp-Golomb code of order `k` for `u` (u < 2^56): the leading zeros, then the
    /// value most-significant bit first, so a reader can stop after the leading 1.
    @inlinable
    public mutating func expGolomb(_ u: UInt64, k: Int) throws(Sink.Failure) {
        let v = u + (1 << UInt64(k))
        let n = 64 - v.leadingZeroBitCount
        try write(0, bits: n - k - 1)
        var i = n - 1
        while i >= 0 { try write((v >> UInt64(i)) & 1, bits: 1); i -= 1 }
    }

    /// Writes the last partial byte (zero-padded) and returns the sink. Consumes the writer,
    /// so an array sink comes back uniquely referenced (no copy on its next append).
    @inlinable
    public consuming func finish() throws(Sink.Failure) -> Sink {
        if count > 0 {
            try sink.put(UInt8(truncatingIfNeeded: acc))
        }
        return sink
    }
}

/// Signed to unsigned mapping 0, -1, 1, -2... to 0, 1, 2, 3... (small magnitudes, short codes).
@inlinable public func zigzag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n << 1) ^ (n >> 63)) }
/// Inverse of ``zigzag(_:)``.
@inlinable public func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

/// Size in bits of the Exp-Golomb code of order `k` for `u`.
@inlinable public func expGolombBits(_ u: UInt64, k: Int) -> Int {
    let v = (u >> UInt64(k)) + 1
    return 2 * (64 - v.leadingZeroBitCount) - 1 + k
}
