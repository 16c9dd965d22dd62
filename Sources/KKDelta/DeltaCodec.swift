import KKWire
import KKPhysics

/// Delta compression of a `MatchState` against a baseline state.
///
/// Byte layout (little-endian; full description in docs/GAMEPLAY.md):
///
///     0      u8   version (1)
///     1      u8   flags: bit 0 = delta against a baseline
///     2..5   u32  tick of the encoded state
///     full:  canonical MatchState bytes
///     delta: u8 dt (baseline tick = tick - dt), then the bit-packed body (LSB first,
///            zero-padded to a byte)
///     end-8  u32  low 32 bits of the state's FNV-1a hash
///     end-4  u32  CRC-32C of all preceding bytes
///
/// The round trip is exact: every field is either sent raw or as an integer residual
/// against a prediction made from the baseline. Decoding checks the CRC first, then
/// rebuilds the state, then compares its hash with the recorded one, so a corrupted
/// payload or a wrong baseline is an error, never a wrong state.
public enum DeltaCodec {
    public static let version: UInt8 = 1
    static let trailerSize = 8

    /// What a payload says about itself before decoding.
    public struct Header: Equatable, Sendable {
        public var tick: UInt32
        /// Baseline tick for a delta payload; nil for a full frame.
        public var baselineTick: UInt32?
    }

    /// Appends the encoding of `state` to `out`: a delta when `baseline` has the same
    /// player count and is 0...255 ticks older, otherwise a full frame.
    public static func encode(_ state: MatchState, baseline: MatchState?, into out: inout [UInt8]) {
        let start = out.count
        // The writer takes `out`'s buffer and gives it back by swapping: never two references
        // to it, so appending never copies (the relay encodes per client per frame).
        var w = DeltaBitWriter()
        swap(&out, &w.sink.bytes)
        defer { swap(&out, &w.sink.bytes) }
        w.sink.put(version)
        if let b = baseline, b.karts.count == state.karts.count, state.tick >= b.tick, state.tick - b.tick <= 255 {
            w.sink.put(1)
            w.sink.put32(state.tick)
            w.sink.put(UInt8(state.tick - b.tick))
            DeltaBody.encode(state, baseline: b, dt: Int64(state.tick - b.tick), &w)
            w.flush()
        } else {
            w.sink.put(0)
            w.sink.put32(state.tick)
            state.serialize(into: &w.sink.bytes)
        }
        w.sink.put32(UInt32(truncatingIfNeeded: state.hash))
        w.sink.put32(CRC32C.checksum(w.sink.bytes, start..<w.sink.bytes.count))
    }

    /// Reads the header after checking the CRC.
    public static func header(_ bytes: [UInt8]) throws(DeltaError) -> Header {
        try checkFrame(bytes)
        let tick = loadUInt32LE(bytes, at: 2)
        if bytes[1] & 1 == 0 { return Header(tick: tick, baselineTick: nil) }
        guard bytes.count >= 7 + trailerSize else { throw .truncated }
        return Header(tick: tick, baselineTick: tick &- UInt32(bytes[6]))
    }

    /// Decodes a payload produced by `encode`. A delta payload needs the exact baseline it
    /// was encoded against; a full frame ignores `baseline`.
    public static func decode(_ bytes: [UInt8], baseline: MatchState?) throws(DeltaError) -> MatchState {
        let h = try header(bytes)
        let bodyEnd = bytes.count - trailerSize
        let state: MatchState
        if let baseTick = h.baselineTick {
            guard let b = baseline else { throw .baselineMissing }
            guard b.tick == baseTick else { throw .baselineMismatch(expectedTick: baseTick, actualTick: b.tick) }
            state = try decodeBody(bytes, 7..<bodyEnd, tick: h.tick, baseline: b, dt: Int64(bytes[6]))
        } else {
            do {
                state = try MatchState(deserializing: Array(bytes[6..<bodyEnd]))
            } catch {
                throw .invalidField("full frame: \(error)")
            }
            guard state.tick == h.tick else { throw .invalidField("tick") }
        }
        guard UInt32(truncatingIfNeeded: state.hash) == loadUInt32LE(bytes, at: bodyEnd) else { throw .stateHashMismatch }
        return state
    }

    /// Decodes the bit-packed delta body in `bytes[range]`, which it must fill exactly.
    static func decodeBody(_ bytes: [UInt8], _ range: Range<Int>, tick: UInt32, baseline: MatchState,
                           dt: Int64) throws(DeltaError) -> MatchState {
        var result: Result<MatchState, DeltaError> = .failure(.truncated)
        bytes.withUnsafeBytes { raw in
            var r = BitReader(DeltaReader(UnsafeRawBufferPointer(rebasing: raw[range])))
            do throws(DeltaError) {
                let state = try DeltaBody.decode(&r, tick: tick, baseline: baseline, dt: dt)
                try r.finish().expectEnd()
                result = .success(state)
            } catch { result = .failure(error) }
        }
        return try result.get()
    }

    static func checkFrame(_ bytes: [UInt8]) throws(DeltaError) {
        guard bytes.count >= 6 + trailerSize else { throw .truncated }
        guard CRC32C.checksum(bytes, 0..<(bytes.count - 4)) == loadUInt32LE(bytes, at: bytes.count - 4) else { throw .checksumMismatch }
        guard bytes[0] == version else { throw .badVersion(bytes[0]) }
        guard bytes[1] & ~1 == 0 else { throw .invalidField("flags") }
    }

}
