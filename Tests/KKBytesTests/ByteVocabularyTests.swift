import Testing
import KKBytes

/// A module error as other modules define theirs, to check the mapping path.
enum SampleError: Error, Equatable, ByteErrorConvertible {
    case bytes(ByteError)
    init(byteError: ByteError) { self = .bytes(byteError) }
}

@Suite struct ByteReaderWriterTests {
    @Test func littleEndianRoundTrip() throws {
        let bytes = try ByteWriter<ByteError>.bytes(capacity: 32) { w throws(ByteError) in
            try w.writeUInt8(0xAB); try w.writeInt8(-2); try w.writeUInt16(0x1234)
            try w.writeUInt32(0xDEAD_BEEF); try w.writeUInt64(0x0102_0304_0506_0708)
        }
        #expect(bytes == [0xAB, 0xFE, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE, 8, 7, 6, 5, 4, 3, 2, 1])
        // (Typed-throws closures passed to withUnsafeBytes crash this compiler: plain closures.)
        bytes.withUnsafeBytes { raw in
            var r = ByteReader<ByteError>(raw)
            #expect(throws: Never.self) {
                #expect(try r.readUInt8() == 0xAB)
                #expect(try r.readInt8() == -2)
                #expect(try r.readUInt16() == 0x1234)
                #expect(try r.readInt32() == Int32(bitPattern: 0xDEAD_BEEF))
                #expect(try r.readUInt64() == 0x0102_0304_0506_0708)
                try r.expectEnd()
            }
        }
    }

    @Test func shortInputThrowsTheCallersError() {
        let bytes: [UInt8] = [1, 2, 3]
        bytes.withUnsafeBytes { raw in
            var r = ByteReader<SampleError>(raw)
            #expect(throws: SampleError.bytes(.truncated)) { _ = try r.readUInt32() }
            #expect(r.offset == 0, "a failed read consumes nothing")
            #expect(throws: SampleError.bytes(.trailingBytes)) { try r.expectEnd() }
            #expect(throws: SampleError.bytes(.truncated)) { _ = try r.readRange(count: -1) }
        }
    }

    @Test func fullBufferThrowsAndKeepsWhatFit() {
        var buffer = [UInt8](repeating: 0, count: 3)
        let n = ByteWriter<ByteError>.write(into: &buffer) { w throws(ByteError) in
            try w.writeUInt16(7); try w.writeUInt16(8)
        }
        #expect(n == 0, "write(into:) reports a packet that does not fit as 0 bytes")
        buffer.withUnsafeMutableBytes { raw in
            var w = ByteWriter<SampleError>(raw)
            #expect(throws: Never.self) { try w.writeUInt16(1) }
            #expect(throws: SampleError.bytes(.bufferTooSmall)) { try w.writeUInt16(2) }
            #expect(w.count == 2)
        }
    }

    @Test func sinksWriteTheSameBytesAsTheWriter() throws {
        var sink = ArraySink()
        sink.put16(0x1234); sink.put32(0xDEAD_BEEF); sink.put64(1)
        let viaWriter = try ByteWriter<ByteError>.bytes(capacity: 14) { w throws(ByteError) in
            try w.writeUInt16(0x1234); try w.writeUInt32(0xDEAD_BEEF); try w.writeUInt64(1)
        }
        #expect(sink.bytes == viaWriter)
        #expect(loadUInt32LE(sink.bytes, at: 2) == 0xDEAD_BEEF)
    }
}

@Suite struct BitPackingTests {
    @Test func bitsRoundTripLowestFirst() {
        var w = BitWriter()
        var sink = ArraySink()
        w.write(0b101, bits: 3, to: &sink)
        w.bit(true, to: &sink)
        w.write(0xABCD, bits: 16, to: &sink)
        w.write(0x0123_4567_89AB_CDEF, bits: 64, to: &sink)
        w.expGolomb(0, k: 0, to: &sink)
        w.expGolomb(1000, k: 3, to: &sink)
        w.flush(to: &sink)
        let bytes = sink.bytes
        #expect(bytes[0] == 0b1101 | 0xD0, "first byte: 101, then 1, then the low nibble of 0xABCD")
        bytes.withUnsafeBytes { raw in
            var r = BitReader(ByteReader<ByteError>(raw))
            #expect(throws: Never.self) {
                #expect(try r.read(bits: 3) == 0b101)
                #expect(try r.flag())
                #expect(try r.read(bits: 16) == 0xABCD)
                #expect(try r.readWide(bits: 64) == 0x0123_4567_89AB_CDEF)
                #expect(try r.expGolomb(k: 0) == 0)
                #expect(try r.expGolomb(k: 3) == 1000)
                try r.finish().expectEnd()
            }
        }
    }

    @Test func paddingMustBeZero() {
        let bytes: [UInt8] = [0b1000_0001]
        bytes.withUnsafeBytes { raw in
            var r = BitReader(ByteReader<SampleError>(raw))
            #expect(throws: Never.self) { _ = try r.read(bits: 1) }
            #expect(throws: SampleError.bytes(.nonZeroPadding)) { _ = try r.finish() }
        }
    }

    @Test func runawayCodeIsRejectedNotLooped() {
        let zeros = [UInt8](repeating: 0, count: 16)
        zeros.withUnsafeBytes { raw in
            var r = BitReader(ByteReader<SampleError>(raw))
            #expect(throws: SampleError.bytes(.codeTooLong)) { _ = try r.expGolomb(k: 0) }
        }
    }

    @Test func bitWriterIntoAFullWriterFails() {
        var buffer = [UInt8](repeating: 0, count: 1)
        buffer.withUnsafeMutableBytes { raw in
            var w = ByteWriter<SampleError>(raw)
            var bits = BitWriter()
            #expect(throws: SampleError.bytes(.bufferTooSmall)) { try bits.write(0xFFFF, bits: 16, to: &w) }
            #expect(w.count == 1, "the byte that fit was written")
        }
    }

    @Test func zigzagAndCodeLengths() {
        for n: Int64 in [0, -1, 1, -2, 2, .max, .min] { #expect(unzigzag(zigzag(n)) == n) }
        #expect(zigzag(-1) == 1 && zigzag(1) == 2)
        for (u, k) in [(UInt64(0), 0), (1, 0), (1000, 3), (1 << 40, 5)] {
            var w = BitWriter()
            var sink = ArraySink()
            w.expGolomb(u, k: k, to: &sink)
            w.write(1, bits: 1, to: &sink) // a marker so the count of written bits is exact
            w.flush(to: &sink)
            let written = sink.bytes
            #expect((expGolombBits(u, k: k) + 1 + 7) / 8 == written.count)
        }
    }
}
