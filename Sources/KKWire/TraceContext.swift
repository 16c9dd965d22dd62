/// A W3C trace context (`traceparent`: version 00, 16-byte trace id, 8-byte parent span id,
/// flags) carried by the client's Hello and the relay's JoinRequest, so a player's join and
/// resume appear in relay and shard logs under the trace of the game's match request (docs/
/// TRACING.md). On the wire: 25 bytes appended to those packets (trace id high and low u64, span
/// id u64, flags u8; little-endian like every field); a packet without them has no trace.
public struct TraceContext: Sendable, Equatable {
    public var traceIdHigh: UInt64
    public var traceIdLow: UInt64
    public var spanId: UInt64
    public var flags: UInt8

    public static let wireBytes = 25

    public init(traceIdHigh: UInt64, traceIdLow: UInt64, spanId: UInt64, flags: UInt8 = 1) {
        self.traceIdHigh = traceIdHigh
        self.traceIdLow = traceIdLow
        self.spanId = spanId
        self.flags = flags
    }

    /// Parses a `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`); nil when malformed or the
    /// ids are all zero (invalid per W3C).
    public init?(traceparent: String) {
        let f = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard f.count >= 4, f[0].count == 2, f[1].count == 32, f[2].count == 16, f[3].count == 2, f[0] != "ff",
              let hi = UInt64(f[1].prefix(16), radix: 16), let lo = UInt64(f[1].suffix(16), radix: 16),
              let span = UInt64(f[2], radix: 16), let flags = UInt8(f[3], radix: 16),
              hi != 0 || lo != 0, span != 0 else { return nil }
        self.init(traceIdHigh: hi, traceIdLow: lo, spanId: span, flags: flags)
    }

    /// The trace id as 32 lower-case hex digits.
    public var traceId: String { Self.hex(traceIdHigh) + Self.hex(traceIdLow) }
    /// The parent span id as 16 lower-case hex digits.
    public var spanIdHex: String { Self.hex(spanId) }
    /// The `traceparent` header text.
    public var traceparent: String { "00-\(traceId)-\(spanIdHex)-" + (flags < 16 ? "0" : "") + String(flags, radix: 16) }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    func encode(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt64(traceIdHigh)
        try w.writeUInt64(traceIdLow)
        try w.writeUInt64(spanId)
        try w.writeUInt8(flags)
    }

    /// The trailing trace context of a packet: none when no bytes are left, else exactly 25.
    static func decodeTrailing(_ r: inout WireReader) throws(WireError) -> TraceContext? {
        guard r.remaining > 0 else { return nil }
        guard r.remaining == wireBytes else { throw r.remaining < wireBytes ? .truncated : .trailingBytes }
        let t = TraceContext(traceIdHigh: try r.readUInt64(), traceIdLow: try r.readUInt64(), spanId: try r.readUInt64(),
                             flags: try r.readUInt8())
        guard t.traceIdHigh != 0 || t.traceIdLow != 0 else { throw .invalidField }
        return t
    }
}
