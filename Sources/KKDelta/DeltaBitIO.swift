import KKBytes

/// Reads a delta body's bytes.
typealias DeltaReader = ByteReader<DeltaError>
/// Packs a delta body's bits into the frame being built: the pending bits and the frame's bytes.
struct DeltaBitWriter {
    var bits = BitWriter()
    var sink = ArraySink()

    @inline(__always) mutating func write(_ value: UInt64, bits n: Int) { bits.write(value, bits: n, to: &sink) }
    @inline(__always) mutating func bit(_ b: Bool) { bits.bit(b, to: &sink) }
    @inline(__always) mutating func expGolomb(_ u: UInt64, k: Int) { bits.expGolomb(u, k: k, to: &sink) }
    /// Zero-pads the last partial byte.
    @inline(__always) mutating func flush() { bits.flush(to: &sink) }
}
/// Unpacks a delta body's bits.
typealias DeltaBitReader = BitReader<DeltaError>
