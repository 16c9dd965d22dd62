import KKTestSupport
import KKWire
import Testing

/// Every malformed packet is a typed error a caller can count, never a trap.
@Suite struct BadInputTests {
    func decodeClient(_ b: [UInt8]) -> WireError? {
        b.withUnsafeBytes { raw in
            do throws(WireError) { _ = try ClientToRelay.decode(raw); return nil } catch { return error }
        }
    }

    /// Recomputes the CRC so only the field under test is wrong.
    func resealed(_ b: [UInt8]) -> [UInt8] {
        var out = Array(b.dropLast(4))
        let crc = CRC32C.checksum(out)
        out += [UInt8(crc & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8((crc >> 16) & 0xFF), UInt8(crc >> 24)]
        return out
    }

    @Test func everyTruncationIsRefused() throws {
        let full = try Samples.input.encoded()
        for n in 0..<full.count {
            let e = decodeClient(Array(full.prefix(n)))
            #expect(e == .truncated || e == .badChecksum, "length \(n): \(String(describing: e))")
        }
        #expect(decodeClient(full) == nil)
    }

    @Test func everyBitFlipIsRefused() throws {
        let full = try Samples.input.encoded()
        for i in 0..<(full.count * 8) {
            var b = full
            b[i / 8] ^= UInt8(1) << UInt8(i % 8)
            #expect(decodeClient(b) != nil, "bit \(i) flipped was accepted")
        }
    }

    @Test func distinctReasons() throws {
        let good = try Samples.hello.encoded()
        var wrongProto = good; wrongProto[0] ^= 0xFF
        #expect(decodeClient(resealed(wrongProto)) == .wrongProtocol)
        var wrongVersion = good; wrongVersion[4] = 99
        #expect(decodeClient(resealed(wrongVersion)) == .wrongVersion)
        var badType = good; badType[5] = 0x7E
        #expect(decodeClient(resealed(badType)) == .unknownType)
        var relayOnly = good; relayOnly[5] = PacketType.welcome.rawValue
        #expect(decodeClient(resealed(relayOnly)) == .unknownType)
        var badSum = good; badSum[good.count - 1] ^= 1
        #expect(decodeClient(badSum) == .badChecksum)
        // A Hello may end with a 25-byte trace context: one byte more is a short trace, 26 too many.
        var short = Array(good.dropLast(4)); short.append(0)
        #expect(decodeClient(resealed(short + [0, 0, 0, 0])) == .truncated)
        let trailing = Array(good.dropLast(4)) + [UInt8](repeating: 1, count: TraceContext.wireBytes + 1)
        #expect(decodeClient(resealed(trailing + [0, 0, 0, 0])) == .trailingBytes)
        let zeroTrace = Array(good.dropLast(4)) + [UInt8](repeating: 0, count: TraceContext.wireBytes)
        #expect(decodeClient(resealed(zeroTrace + [0, 0, 0, 0])) == .invalidField)
        var badMode = good; badMode[6] = 7
        #expect(decodeClient(resealed(badMode)) == .invalidField)
        #expect(decodeClient([UInt8](repeating: 0, count: Limits.maxDatagramBytes + 1)) == .oversized)
        #expect(decodeClient([]) == .truncated)
    }

    @Test func inputCountsAndPadding() throws {
        let good = try Samples.input.encoded()
        // count byte sits after header (6) + seq, tick, ack (12).
        var zero = good; zero[18] = 0
        #expect(decodeClient(resealed(zero)) == .countOutOfRange)
        var many = good; many[18] = 33
        #expect(decodeClient(resealed(many)) == .countOutOfRange)
        var padding = good; padding[good.count - 5] |= 0x80
        #expect(decodeClient(resealed(padding)) == .invalidField)
        // Encoding refuses an empty packet rather than writing one.
        #expect(throws: WireError.countOutOfRange) { try InputPacket(seq: 1, tick: 1, ackFrameTick: 0).encoded() }
    }

    /// Whatever the encoder writes, the decoder accepts: a zero tick rate is refused on both sides.
    @Test func welcomeWithZeroTickRateIsRefusedBothWays() throws {
        var w = Samples.welcome
        w.tickRate = 0
        #expect(throws: WireError.invalidField) { try w.encoded() }
        var bytes = try Samples.welcome.encoded()
        bytes[6 + 17] = 0  // tickRate after header (6) + playerId, matchId (16) + slot (1)
        let e: WireError? = resealed(bytes).withUnsafeBytes { raw in
            do throws(WireError) { _ = try RelayToClient.decode(raw); return nil } catch { return error }
        }
        #expect(e == .invalidField)
    }

    @Test func writerRefusesOverflow() {
        #expect(throws: WireError.bufferTooSmall) { try Samples.welcome.encoded(capacity: 10) }
        #expect(throws: WireError.oversized) {
            try Samples.fullFrame.encoded(payload: [UInt8](repeating: 1, count: Limits.maxFramePayloadBytes + 1))
        }
    }

    @Test func batchCountMustMatchLength() throws {
        let good = try Samples.batchBytes()
        // count u16 after header (6) + batchSeq (4).
        var more = good; more[10] = 3
        let e1: WireError? = resealed(more).withUnsafeBytes { raw in
            do throws(WireError) { _ = try ShardMessage.decode(raw); return nil } catch { return error }
        }
        #expect(e1 == .truncated)
        var fewer = good; fewer[10] = 1
        let e2: WireError? = resealed(fewer).withUnsafeBytes { raw in
            do throws(WireError) { _ = try ShardMessage.decode(raw); return nil } catch { return error }
        }
        #expect(e2 == .trailingBytes)
    }

    @Test func metricLabelsAreDistinct() {
        let all: [WireError] = [.truncated, .oversized, .wrongProtocol, .wrongVersion, .unknownType, .badChecksum,
                                .countOutOfRange, .invalidField, .trailingBytes, .bufferTooSmall]
        #expect(Set(all.map(\.metricLabel)).count == all.count)
    }
}
