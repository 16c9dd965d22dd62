/// Client -> relay, ~20-60 Hz: the newest input plus every older input the server has not
/// acknowledged yet (up to ``Limits/maxInputsPerPacket``), and the ack of the newest frame.
///
/// `inputs[0]` is the newest input, with sequence `seq` and tick `tick`; `inputs[i]` has
/// sequence `seq - i` and tick `tick - i` (wrapping). An input equal to the next newer one
/// costs one bit on the wire.
public struct InputPacket: WirePacket, Equatable {
    public static let type = PacketType.input

    /// Sequence number of the newest input (one per input sample, wrapping u32).
    public var seq: UInt32
    /// Simulation tick the newest input is for.
    public var tick: UInt32
    /// Tick of the newest authoritative frame the client has received (0: none).
    public var ackFrameTick: UInt32
    /// How many inputs are valid in ``inputs`` (1...32).
    public var count: Int
    /// Newest first; only `0..<count` are meaningful.
    public var inputs: InlineArray<32, InputSample>

    @inlinable
    public init(seq: UInt32, tick: UInt32, ackFrameTick: UInt32) {
        self.seq = seq
        self.tick = tick
        self.ackFrameTick = ackFrameTick
        self.count = 0
        self.inputs = InlineArray(repeating: .neutral)
    }

    /// Builds a packet from a newest-first list (tests, tools).
    public init(seq: UInt32, tick: UInt32, ackFrameTick: UInt32, newestFirst: [InputSample]) {
        self.init(seq: seq, tick: tick, ackFrameTick: ackFrameTick)
        for (i, s) in newestFirst.prefix(Limits.maxInputsPerPacket).enumerated() { inputs[i] = s }
        count = min(newestFirst.count, Limits.maxInputsPerPacket)
    }

    /// The valid inputs, newest first (allocates; tests and tools).
    public var newestFirst: [InputSample] { (0..<count).map { inputs[$0] } }

    public static func == (a: InputPacket, b: InputPacket) -> Bool {
        guard a.seq == b.seq, a.tick == b.tick, a.ackFrameTick == b.ackFrameTick, a.count == b.count else { return false }
        for i in 0..<a.count where a.inputs[i] != b.inputs[i] { return false }
        return true
    }

    @inlinable
    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        guard count >= 1, count <= Limits.maxInputsPerPacket else { throw .countOutOfRange }
        try w.writeUInt32(seq)
        try w.writeUInt32(tick)
        try w.writeUInt32(ackFrameTick)
        try w.writeUInt8(UInt8(count))
        var bits = BitWriter()
        try bits.write(UInt64(inputs[0].raw), bits: 16, to: &w)
        var i = 1
        while i < count {
            if inputs[i] == inputs[i - 1] {
                try bits.write(1, bits: 1, to: &w)
            } else {
                try bits.write(0, bits: 1, to: &w)
                try bits.write(UInt64(inputs[i].raw), bits: 16, to: &w)
            }
            i += 1
        }
        try bits.flush(to: &w)
    }

    @inlinable
    public init(body r: inout WireReader) throws(WireError) {
        self.init(seq: try r.readUInt32(), tick: try r.readUInt32(), ackFrameTick: try r.readUInt32())
        let n = Int(try r.readUInt8())
        guard n >= 1, n <= Limits.maxInputsPerPacket else { throw .countOutOfRange }
        var bits = BitReader(r)
        inputs[0] = InputSample(raw: UInt16(truncatingIfNeeded: try bits.read(bits: 16)))
        var i = 1
        while i < n {
            if try bits.read(bits: 1) == 1 {
                inputs[i] = inputs[i - 1]
            } else {
                inputs[i] = InputSample(raw: UInt16(truncatingIfNeeded: try bits.read(bits: 16)))
            }
            i += 1
        }
        r = try bits.finish()
        count = n
    }
}
