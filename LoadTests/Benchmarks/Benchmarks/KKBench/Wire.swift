import Benchmark
import KKWire

/// A reused output buffer, as a relay owns one per thread.
final class WireFixture {
    let buffer: UnsafeMutableRawBufferPointer
    let crcInput: UnsafeMutableRawBufferPointer
    let framePayload: UnsafeMutableRawBufferPointer
    let matchPayload: UnsafeMutableRawBufferPointer
    let input: InputPacket
    let frame: FramePacket
    let matchFrame: MatchFramePacket
    /// Bytes of one encoded packet of each kind (filled once; the decode-only benchmarks read them).
    var inputBytes = 0, frameBytes = 0, matchFrameBytes = 0
    /// Encoded sizes, printed once (from the first wire benchmark's setup).
    var sizes = ""
    let inputEncoded: UnsafeMutableRawBufferPointer
    let frameEncoded: UnsafeMutableRawBufferPointer
    let matchFrameEncoded: UnsafeMutableRawBufferPointer

    init() {
        buffer = .allocate(byteCount: Limits.maxShardPacketBytes, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        crcInput = .allocate(byteCount: 1200, alignment: 16)
        for i in 0..<1200 { crcInput[i] = UInt8(truncatingIfNeeded: i &* 131 &+ 7) }
        framePayload = .allocate(byteCount: 80, alignment: 16)
        for i in 0..<80 { framePayload[i] = UInt8(truncatingIfNeeded: i &* 37) }
        matchPayload = .allocate(byteCount: 320, alignment: 16)
        for i in 0..<320 { matchPayload[i] = UInt8(truncatingIfNeeded: i &* 53 &+ 1) }

        // 32 inputs, newest first, with runs of repeats and changes (steer ramps, button taps).
        var p = InputPacket(seq: 100_000, tick: 50_000, ackFrameTick: 49_990)
        for i in 0..<32 {
            let steer = Int8((i / 3) * 9 - 60)
            let buttons: UInt8 = (i % 7 == 0) ? 0x05 : 0x01
            p.inputs[i] = InputSample(buttons: buttons, steer: steer)
        }
        p.count = 32
        input = p

        frame = FramePacket(tick: 50_000, baselineTick: 49_994, lastAppliedSeq: 99_998)

        var m = MatchFramePacket(matchId: 0xDEAD_BEEF_0042, tick: 50_000, stateHash: 0x0123_4567_89AB_CDEF)
        for i in 0..<8 { try! m.addPlayer(PlayerAck(playerId: 1_000 + UInt64(i), lastAppliedSeq: 99_990 + UInt32(i))) }
        matchFrame = m

        inputEncoded = .allocate(byteCount: Limits.maxDatagramBytes, alignment: 16)
        frameEncoded = .allocate(byteCount: Limits.maxDatagramBytes, alignment: 16)
        matchFrameEncoded = .allocate(byteCount: Limits.maxShardPacketBytes, alignment: 16)
        inputBytes = try! encodeInput(into: inputEncoded)
        frameBytes = try! encodeFrame(into: frameEncoded)
        matchFrameBytes = try! encodeMatchFrame(into: matchFrameEncoded)
        // Sanity: each decodes to what was encoded.
        guard case .input(let di) = try! ClientToRelay.decode(UnsafeRawBufferPointer(rebasing: inputEncoded[0..<inputBytes])),
              di == input else { fatalError("input round trip") }
        guard case .frame(let df) = try! RelayToClient.decode(UnsafeRawBufferPointer(rebasing: frameEncoded[0..<frameBytes])),
              df.payload.count == 80 else { fatalError("frame round trip") }
        guard case .matchFrame(let dm) = try! ShardMessage.decode(UnsafeRawBufferPointer(rebasing: matchFrameEncoded[0..<matchFrameBytes])),
              dm.playerCount == 8, dm.payload.count == 320 else { fatalError("match frame round trip") }
        sizes = "[sizes] InputPacket(32 inputs) \(inputBytes) B, FramePacket(80 B payload) \(frameBytes) B, "
            + "MatchFramePacket(8 players, 320 B payload) \(matchFrameBytes) B"
    }

    @inline(__always)
    func encodeInput(into out: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        var w = WireWriter(out)
        try input.encode(into: &w)
        return w.count
    }

    @inline(__always)
    func encodeFrame(into out: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        var w = WireWriter(out)
        let payload = UnsafeRawBufferPointer(framePayload)
        try frame.encode(into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
        return w.count
    }

    @inline(__always)
    func encodeMatchFrame(into out: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        var w = WireWriter(out)
        let payload = UnsafeRawBufferPointer(matchPayload)
        try matchFrame.encode(into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
        return w.count
    }
}

func wireBenchmarks() {
    let f = WireFixture()

    Benchmark("Wire: InputPacket(32) encode+decode", configuration: kkConfig(.kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let n = try! f.encodeInput(into: f.buffer)
            let m = try! ClientToRelay.decode(UnsafeRawBufferPointer(rebasing: f.buffer[0..<n]))
            blackHole(m)
        }
    } setup: {
        report(f.sizes)
    }
    Benchmark("Wire: InputPacket(32) decode", configuration: kkConfig(.kilo)) { benchmark in
        let bytes = UnsafeRawBufferPointer(rebasing: f.inputEncoded[0..<f.inputBytes])
        for _ in benchmark.scaledIterations {
            blackHole(try! ClientToRelay.decode(bytes))
        }
    }
    Benchmark("Wire: FramePacket(80 B) encode+decode", configuration: kkConfig(.kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let n = try! f.encodeFrame(into: f.buffer)
            let m = try! RelayToClient.decode(UnsafeRawBufferPointer(rebasing: f.buffer[0..<n]))
            blackHole(m)
        }
    }
    Benchmark("Wire: FramePacket(80 B) decode", configuration: kkConfig(.kilo)) { benchmark in
        let bytes = UnsafeRawBufferPointer(rebasing: f.frameEncoded[0..<f.frameBytes])
        for _ in benchmark.scaledIterations {
            blackHole(try! RelayToClient.decode(bytes))
        }
    }
    Benchmark("Wire: MatchFramePacket(8p, 320 B) encode+decode", configuration: kkConfig(.kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let n = try! f.encodeMatchFrame(into: f.buffer)
            let m = try! ShardMessage.decode(UnsafeRawBufferPointer(rebasing: f.buffer[0..<n]))
            blackHole(m)
        }
    }
    Benchmark("Wire: MatchFramePacket(8p, 320 B) decode", configuration: kkConfig(.kilo)) { benchmark in
        let bytes = UnsafeRawBufferPointer(rebasing: f.matchFrameEncoded[0..<f.matchFrameBytes])
        for _ in benchmark.scaledIterations {
            blackHole(try! ShardMessage.decode(bytes))
        }
    }
    Benchmark("Wire: CRC32C 1200 B", configuration: kkConfig(.kilo)) { benchmark in
        let bytes = UnsafeRawBufferPointer(f.crcInput)
        for _ in benchmark.scaledIterations {
            blackHole(CRC32C.checksum(bytes))
        }
    }
}
