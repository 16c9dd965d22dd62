import KKTestSupport
import KKWire
import Testing

@Suite struct RoundTripTests {
    @Test func clientPackets() throws {
        #expect(try Samples.hello.encoded().decodePacket(HelloPacket.self) == Samples.hello)
        #expect(try Samples.input.encoded().decodePacket(InputPacket.self) == Samples.input)
        #expect(try Samples.ping.encoded().decodePacket(PingPacket.self) == Samples.ping)
        #expect(try Samples.disconnect.encoded().decodePacket(DisconnectPacket.self) == Samples.disconnect)
        for reason in DisconnectReason.allCases {
            let p = DisconnectPacket(reason: reason)
            #expect(try p.encoded().decodePacket(DisconnectPacket.self) == p)
            #expect(!reason.message.isEmpty)
        }
    }

    @Test func relayPackets() throws {
        #expect(try Samples.welcome.encoded().decodePacket(WelcomePacket.self) == Samples.welcome)
        #expect(try Samples.pong.encoded().decodePacket(PongPacket.self) == Samples.pong)
        for frame in [Samples.fullFrame, Samples.deltaFrame] {
            let bytes = try frame.encoded(payload: Samples.framePayload)
            let decoded = try bytes.withUnsafeBytes { raw in try RelayToClient.decode(raw) }
            guard case .frame(let f) = decoded else { Issue.record("not a frame"); return }
            #expect(f.tick == frame.tick && f.baselineTick == frame.baselineTick && f.lastAppliedSeq == frame.lastAppliedSeq)
            #expect(Array(bytes[f.payload]) == Samples.framePayload)
        }
    }

    @Test func shardPackets() throws {
        #expect(try Samples.relayHello.encoded().decodePacket(RelayHelloPacket.self) == Samples.relayHello)
        #expect(try Samples.joinRequest.encoded().decodePacket(JoinRequestPacket.self) == Samples.joinRequest)
        #expect(try Samples.joinReply.encoded().decodePacket(JoinReplyPacket.self) == Samples.joinReply)
        #expect(try Samples.leave.encoded().decodePacket(LeavePacket.self) == Samples.leave)

        let batch = try Samples.batchBytes()
        let view = try batch.withUnsafeBytes { raw -> [BatchedInput] in
            guard case .inputBatch(let v) = try ShardMessage.decode(raw) else { return [] }
            #expect(v.batchSeq == 12)
            return try v.all()
        }
        #expect(view == Samples.batch)

        let frame = try Samples.matchFrame.encoded(payload: Samples.framePayload)
        try frame.withUnsafeBytes { raw in
            guard case .matchFrame(let f) = try ShardMessage.decode(raw) else { Issue.record("not a frame"); return }
            var expected = Samples.matchFrame
            expected.payload = f.payload
            #expect(f == expected)
            #expect(f.lastAppliedSeq(of: 43) == 75)
            #expect(f.lastAppliedSeq(of: 44) == nil)
            #expect(Array(raw[f.payload]) == Samples.framePayload)
        }
    }

    @Test func inputPacketsOfEveryShape() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<2000 {
            let n = Int.random(in: 1...Limits.maxInputsPerPacket, using: &rng)
            var inputs: [InputSample] = []
            for _ in 0..<n {
                if let last = inputs.last, Bool.random(using: &rng) { inputs.append(last); continue }
                inputs.append(InputSample(raw: UInt16.random(in: 0...UInt16.max, using: &rng)))
            }
            let p = InputPacket(seq: .random(in: 0...UInt32.max, using: &rng), tick: .random(in: 0...UInt32.max, using: &rng),
                                ackFrameTick: .random(in: 0...UInt32.max, using: &rng), newestFirst: inputs)
            #expect(try p.encoded().decodePacket(InputPacket.self) == p)
        }
    }

    /// An unchanged input costs one bit: 32 equal inputs take 2 + 4 bytes of input data.
    @Test func unchangedInputCostsOneBit() throws {
        let same = InputPacket(seq: 1, tick: 1, ackFrameTick: 0,
                               newestFirst: [InputSample](repeating: InputSample(buttons: 1, steer: 3), count: 32))
        let bytes = try same.encoded()
        #expect(bytes.count == Limits.headerBytes + 13 + 2 + 4 + Limits.checksumBytes)
        let one = InputPacket(seq: 1, tick: 1, ackFrameTick: 0, newestFirst: [InputSample(buttons: 1, steer: 3)])
        #expect(try one.encoded().count == Limits.headerBytes + 13 + 2 + Limits.checksumBytes)
    }

    @Test func inputSampleRawForm() {
        let s = InputSample(buttons: 0xA5, steer: -1)
        #expect(s.raw == 0xFFA5)
        #expect(InputSample(raw: s.raw) == s)
        #expect(InputSample(raw: 0x7F00).steer == 127)
        #expect(InputSample(raw: 0x8100).steer == -127)
    }
}

@Suite struct FullBatchTests {
    /// A batch of `Limits.maxBatchEntries` entries is legal: the writer makes it and every
    /// shard-link receiver accepts it (it once exceeded `Limits.maxShardPacketBytes`, sized for frames only).
    @Test func fullBatchFitsAShardPacket() throws {
        let entries = (0..<Limits.maxBatchEntries).map {
            BatchedInput(matchId: 1, playerId: UInt64($0 % 16), tick: UInt32($0 / 16), seq: UInt32($0), input: .neutral)
        }
        var room = 0
        let bytes = try WireWriter.bytes(capacity: Limits.maxShardPacketBytes) { (w) throws(WireError) in
            var b = InputBatchWriter()
            try b.begin(batchSeq: 1, into: &w)
            room = b.room(in: w)
            for e in entries { try b.append(e, into: &w) }
            try b.finish(into: &w)
        }
        #expect(room == Limits.maxBatchEntries)
        let decoded = try bytes.withUnsafeBytes { raw -> [BatchedInput] in
            guard case .inputBatch(let v) = try ShardMessage.decode(raw) else { return [] }
            return try v.all()
        }
        #expect(decoded == entries)
    }
}
