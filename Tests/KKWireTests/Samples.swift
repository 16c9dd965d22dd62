import KKWire

/// One documented sample of every packet, shared by the round-trip and PROTOCOL.md tests.
enum Samples {
    static let input = InputPacket(seq: 1000, tick: 5000, ackFrameTick: 4990, newestFirst: [
        InputSample(buttons: 0b0000_0001, steer: -40), InputSample(buttons: 0b0000_0001, steer: -40),
        InputSample(buttons: 0b0000_0101, steer: 0), InputSample(buttons: 0b0000_0101, steer: 0),
    ])
    static let hello = HelloPacket(mode: .resume, lastFrameTick: 4990, nextInputSeq: 1001)
    static let ping = PingPacket(pingId: 7, clientTimeMicros: 123_456_789)
    static let pong = PongPacket(pingId: 7, clientTimeMicros: 123_456_789, serverTick: 5003)
    static let disconnect = DisconnectPacket(reason: .matchOver)
    static let resumeTicket = ResumeTicketPacket(ticket: Array("TICKET2".utf8))
    static let welcome = WelcomePacket(playerId: 42, matchId: 9, slot: 3, tickRate: 60, serverTick: 5000,
                                       lastAppliedSeq: 998, resumeTicket: Array("TICKET".utf8))
    static let fullFrame = FramePacket(tick: 5000, baselineTick: nil, lastAppliedSeq: 998, inputMargin: 3)
    static let deltaFrame = FramePacket(tick: 5003, baselineTick: 5000, lastAppliedSeq: 1000, inputMargin: -2)
    static let framePayload: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
    static let relayHello = RelayHelloPacket(relayId: 0x0102_0304_0506_0708)
    static let joinRequest = JoinRequestPacket(matchId: 9, playerId: 42, mode: .join)
    static let joinReply = JoinReplyPacket(matchId: 9, playerId: 42, result: .ok, slot: 3, tickRate: 60,
                                           tick: 5000, lastAppliedSeq: 998)
    static let leave = LeavePacket(matchId: 9, playerId: 42, reason: .timeout)
    static let batch: [BatchedInput] = [
        BatchedInput(matchId: 9, playerId: 42, tick: 5000, seq: 1000, input: InputSample(buttons: 1, steer: -40)),
        BatchedInput(matchId: 9, playerId: 43, tick: 5000, seq: 77, input: InputSample(buttons: 0, steer: 5)),
    ]
    static var matchFrame: MatchFramePacket {
        var f = MatchFramePacket(matchId: 9, tick: 5000, stateHash: 0x1122_3344_5566_7788)
        try! f.addPlayer(PlayerAck(playerId: 42, lastAppliedSeq: 998, inputMargin: 3))
        try! f.addPlayer(PlayerAck(playerId: 43, lastAppliedSeq: 75))
        return f
    }

    static func batchBytes(_ entries: [BatchedInput] = batch, batchSeq: UInt32 = 12) throws -> [UInt8] {
        try WireWriter.bytes { (w) throws(WireError) in
            var b = InputBatchWriter()
            try b.begin(batchSeq: batchSeq, into: &w)
            for e in entries { try b.append(e, into: &w) }
            try b.finish(into: &w)
        }
    }

    /// Every sample encoded, by documented name.
    static func all() throws -> [(String, [UInt8])] {
        [
            ("hello", try hello.encoded()),
            ("input", try input.encoded()),
            ("ping", try ping.encoded()),
            ("disconnect", try disconnect.encoded()),
            ("welcome", try welcome.encoded()),
            ("full-frame", try fullFrame.encoded(payload: framePayload)),
            ("delta-frame", try deltaFrame.encoded(payload: framePayload)),
            ("pong", try pong.encoded()),
            ("resume-ticket", try resumeTicket.encoded()),
            ("relay-hello", try relayHello.encoded()),
            ("join-request", try joinRequest.encoded()),
            ("join-reply", try joinReply.encoded()),
            ("leave", try leave.encoded()),
            ("input-batch", try batchBytes()),
            ("match-frame", try matchFrame.encoded(payload: framePayload)),
        ]
    }
}
