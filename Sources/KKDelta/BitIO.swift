/// LSB-first bit writer appending to a byte array.
struct BitWriter {
    var bytes: [UInt8]
    private var acc: UInt64 = 0
    private var count = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// Writes the low `n` bits of `value` (n ≤ 57 per call; wider values are split).
    mutating func write(_ value: UInt64, bits n: Int) {
        if n > 32 {
            write(value & 0xFFFF_FFFF, bits: 32)
            write(value >> 32, bits: n - 32)
            return
        }
        if n == 0 { return }
        acc |= (value & ((1 << UInt64(n)) - 1)) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            count -= 8
        }
    }

    mutating func bit(_ b: Bool) { write(b ? 1 : 0, bits: 1) }

    /// Exp-Golomb code of order `k` for `u` (u < 2^56).
    mutating func expGolomb(_ u: UInt64, k: Int) {
        let v = u + (1 << UInt64(k))
        let n = 64 - v.leadingZeroBitCount
        write(0, bits: n - k - 1)
        // Emit v most-significant bit first so the reader can stop after the leading 1.
        var i = n - 1
        while i >= 0 { write((v >> UInt64(i)) & 1, bits: 1); i -= 1 }
    }

    /// Pads the last partial byte with zeros and returns the bytes.
    mutating func finish() -> [UInt8] {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: acc)); acc = 0; count = 0 }
        return bytes
    }
}

/// LSB-first bit reader over `bytes[start..<end]`; every read throws on exhaustion.
struct BitReader {
    let bytes: [UInt8]
    let end: Int
    private var byteIndex: Int
    private var bitIndex = 0

    init(_ bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes; self.byteIndex = start; self.end = end
    }

    mutating func bit() throws(DeltaError) -> UInt64 {
        guard byteIndex < end else { throw .truncated }
        let b = UInt64(bytes[byteIndex] >> UInt8(bitIndex)) & 1
        bitIndex += 1
        if bitIndex == 8 { bitIndex = 0; byteIndex += 1 }
        return b
    }

    mutating func read(bits n: Int) throws(DeltaError) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n { v |= try bit() << UInt64(i) }
        return v
    }

    mutating func flag() throws(DeltaError) -> Bool { try bit() == 1 }

    mutating func expGolomb(k: Int) throws(DeltaError) -> UInt64 {
        var zeros = 0
        while try bit() == 0 {
            zeros += 1
            guard zeros <= 48 else { throw .invalidField("exp-golomb prefix") }
        }
        var v: UInt64 = 1
        for _ in 0..<(zeros + k) { v = (v << 1) | (try bit()) }
        return v &- (1 << UInt64(k))
    }

    /// The reader must end inside the last byte with only zero padding left.
    func finish() throws(DeltaError) {
        if bitIndex == 0 {
            guard byteIndex == end else { throw .trailingBytes }
        } else {
            guard byteIndex == end - 1, bytes[byteIndex] >> UInt8(bitIndex) == 0 else { throw .trailingBytes }
        }
    }
}

/// Signed ↔ unsigned mapping 0, -1, 1, -2... → 0, 1, 2, 3...
@inline(__always) func zigzag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n << 1) ^ (n >> 63)) }
@inline(__always) func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1) }

/// Size in bits of the Exp-Golomb code of order k for u.
@inline(__always) func expGolombBits(_ u: UInt64, k: Int) -> Int {
    let v = (u >> UInt64(k)) + 1
    return 2 * (64 - v.leadingZeroBitCount) - 1 + k
}
