import KKWire

/// Real packets of every type, built with the wire encoders: the seed corpora of the packet
/// targets (Tests/Fuzz/corpus/, written by `kk-fuzz seed`).
enum PacketSeeds {
    static let trace = TraceContext(traceIdHigh: 0x0AF7_6519_16CD_43DD, traceIdLow: 0x8448_EB21_1C80_319C, spanId: 0xB7AD_6B71_6920_3331)

    static var client: [[UInt8]] {
        var out: [[UInt8]] = []
        func add(_ p: some WirePacket) { if let b = try? p.encoded() { out.append(b) } }
        add(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        add(HelloPacket(mode: .resume, lastFrameTick: 1234, nextInputSeq: 88, trace: trace))
        add(InputPacket(seq: 40, tick: 300, ackFrameTick: 296,
                        newestFirst: (0..<4).map { InputSample(buttons: UInt8($0), steer: Int8($0 * 20 - 30)) }))
        add(InputPacket(seq: 1, tick: 0, ackFrameTick: 0, newestFirst: [InputSample(buttons: 1, steer: 0)]))
        add(PingPacket(pingId: 9, clientTimeMicros: 1_700_000_000_000_000))
        add(DisconnectPacket(reason: .clientQuit))
        return out
    }

    static var relay: [[UInt8]] {
        var out: [[UInt8]] = []
        func add(_ p: some WirePacket) { if let b = try? p.encoded() { out.append(b) } }
        add(WelcomePacket(playerId: 42, matchId: 9, slot: 2, tickRate: 60, serverTick: 100, lastAppliedSeq: 7,
                          resumeTicket: Array("resume-ticket-text".utf8)))
        add(WelcomePacket(playerId: 1, matchId: 1, slot: 0, tickRate: 30, serverTick: 0, lastAppliedSeq: 0, resumeTicket: []))
        add(PongPacket(pingId: 9, clientTimeMicros: 1_700_000_000_000_000, serverTick: 400))
        add(DisconnectPacket(reason: .matchOver))
        add(ResumeTicketPacket(ticket: Array("renewed-resume-ticket".utf8)))
        let full = StateSeeds.frames.full, delta = StateSeeds.frames.delta
        if let b = try? FramePacket(tick: 130, baselineTick: nil, lastAppliedSeq: 12, inputMargin: 3).encoded(payload: full) { out.append(b) }
        if let b = try? FramePacket(tick: 130, baselineTick: 120, lastAppliedSeq: 12, inputMargin: -2).encoded(payload: delta) { out.append(b) }
        return out
    }

    static var shard: [[UInt8]] {
        var out: [[UInt8]] = []
        func add(_ p: some WirePacket) { if let b = try? p.encoded(capacity: Limits.maxShardPacketBytes) { out.append(b) } }
        add(RelayHelloPacket(relayId: 0xDEAD_BEEF))
        add(JoinRequestPacket(matchId: 9, playerId: 42, mode: .join))
        add(JoinRequestPacket(matchId: 9, playerId: 42, mode: .resume, trace: trace))
        add(JoinReplyPacket(matchId: 9, playerId: 42, result: .ok, slot: 1, tickRate: 60, tick: 500, lastAppliedSeq: 30))
        add(JoinReplyPacket(matchId: 9, playerId: 43, result: .matchFull, slot: 0, tickRate: 60, tick: 0, lastAppliedSeq: 0))
        add(LeavePacket(matchId: 9, playerId: 42, reason: .timeout))
        let entries = (0..<5).map { BatchedInput(matchId: 9, playerId: 40 + UInt64($0 % 2), tick: 300 + UInt32($0),
                                                 seq: 10 + UInt32($0), input: InputSample(buttons: 1, steer: Int8($0))) }
        if let b = try? batch(seq: 77, entries) { out.append(b) }
        var frame = MatchFramePacket(matchId: 9, tick: 130, stateHash: 0x1122_3344_5566_7788)
        try? frame.addPlayer(PlayerAck(playerId: 42, lastAppliedSeq: 12, inputMargin: 2))
        try? frame.addPlayer(PlayerAck(playerId: 43, lastAppliedSeq: 11))
        if let b = try? frame.encoded(payload: StateSeeds.frames.full) { out.append(b) }
        return out
    }

    /// One input batch packet holding `entries`.
    static func batch(seq: UInt32, _ entries: [BatchedInput]) throws(WireError) -> [UInt8] {
        try WireWriter.bytes(capacity: Limits.maxShardPacketBytes) { (w) throws(WireError) in
            var b = InputBatchWriter()
            try b.begin(batchSeq: seq, into: &w)
            for e in entries { try b.append(e, into: &w) }
            try b.finish(into: &w)
        }
    }
}
