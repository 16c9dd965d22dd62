import KKPhysics
import KKShardCore
import KKTestSupport
import KKWire
import Testing

/// Collects what the core queued, per relay (relay links numbered like the tests' relays).
/// Joins for unknown matches are refused, as ShardServer does without a registry.
struct RecordingOutput {
    var sent: [(relay: Int, bytes: [UInt8], reliable: Bool)] = []

    mutating func collect(_ core: ShardCore) {
        for out in core.drainOutbound() {
            switch out.target {
            case .relay(let link, let reliable): sent.append((Int(link.id), Array(out.bytes), reliable))
            case .unknownMatch(let j, let link): core.refuseJoin(j, from: link)
            }
        }
    }

    func joinReplies(to relay: Int) -> [JoinReplyPacket] {
        sent.filter { $0.relay == relay }.compactMap { try? $0.bytes.decodePacket(JoinReplyPacket.self, maxBytes: Limits.maxShardPacketBytes) }
    }

    func frames(to relay: Int) -> [(MatchFramePacket, [UInt8])] {
        sent.filter { $0.relay == relay }.compactMap { s in
            s.bytes.withUnsafeBytes { raw -> (MatchFramePacket, [UInt8])? in
                guard case .matchFrame(let f)? = try? ShardMessage.decode(raw) else { return nil }
                return (f, Array(raw[f.payload]))
            }
        }
    }
}

@Suite struct ShardCoreTests {
    func makeCore() throws -> ShardCore {
        var c = ShardConfig()
        c.maxMatches = 4
        c.playersPerMatch = 4
        let core = ShardCore(config: c)
        try core.createMatch(id: 77, seed: 1)
        return core
    }

    func send<P: WirePacket>(_ p: P, to core: ShardCore, from relay: Int, _ out: inout RecordingOutput) throws {
        let bytes = try p.encoded(capacity: Limits.maxShardPacketBytes)
        bytes.withUnsafeBytes { core.receive($0, from: relay, output: &out) }
    }

    func batch(_ entries: [BatchedInput]) throws -> [UInt8] {
        try WireWriter.bytes(capacity: Limits.maxShardPacketBytes) { (w) throws(WireError) in
            var b = InputBatchWriter()
            try b.begin(batchSeq: 1, into: &w)
            for e in entries { try b.append(e, into: &w) }
            try b.finish(into: &w)
        }
    }

    @Test func joinGivesSlotAndImmediateFullFrame() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        try send(JoinRequestPacket(matchId: 77, playerId: 6, mode: .join), to: core, from: 2, &out)
        #expect(out.joinReplies(to: 1).first?.result == .ok)
        #expect(out.joinReplies(to: 2).first?.slot == 1)
        let frames = out.frames(to: 1)
        #expect(frames.count == 1)
        let state = try MatchState(deserializing: frames[0].1)
        #expect(state.playerCount == 4 && frames[0].0.stateHash == state.hash)
        // Unknown match, and a full match, are refused with a reason.
        try send(JoinRequestPacket(matchId: 99, playerId: 5, mode: .join), to: core, from: 1, &out)
        #expect(out.joinReplies(to: 1).last?.result == .noSuchMatch)
        for p in 7...8 { try send(JoinRequestPacket(matchId: 77, playerId: UInt64(p), mode: .join), to: core, from: 3, &out) }
        try send(JoinRequestPacket(matchId: 77, playerId: 9, mode: .join), to: core, from: 3, &out)
        #expect(out.joinReplies(to: 3).last?.result == .matchFull)
        #expect(core.counters.joinsAccepted == 4 && core.counters.joinsRefused == 2)
        // The accepted joins, for presence ("racing"), once each; the refused ones not.
        let joined = core.takeJoinedPlayers()
        #expect(joined.map(\.playerId) == [5, 6, 7, 8] && joined.allSatisfy { $0.matchId == 77 })
        #expect(core.takeJoinedPlayers().isEmpty)
        #expect(ClusterEvent(parsing: Array(ClusterEvent.racing(playerId: 5, matchId: 77).text.utf8)) == .racing(playerId: 5, matchId: 77))
        #expect(ClusterEvent(parsing: Array("racing x 77".utf8)) == nil)
    }

    @Test func inputsApplyAtTheirTickAndAckTheirSeq() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        let accel = InputSample(buttons: KartInput.accelerate, steer: 0)
        let entries = (1...30).map { BatchedInput(matchId: 77, playerId: 5, tick: UInt32($0), seq: UInt32(100 + $0), input: accel) }
        try batch(entries).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        #expect(core.counters.inputsApplied == 30)
        for _ in 0..<30 { core.tick(output: &out) }
        let m = core.matches[77]!
        #expect(m.tick == 30)
        #expect(m.lastAppliedSeq[0] == 130)
        #expect(m.state.karts[0].lastInput == KartInput(buttons: KartInput.accelerate, steer: 0))
        // Frames every 3 ticks, acking the newest applied sequence.
        let frames = out.frames(to: 1)
        #expect(frames.count == 1 + 10)
        #expect(frames.last?.0.lastAppliedSeq(of: 5) == 130)
        // The same inputs again are late (ticks already stepped).
        try batch(entries).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        #expect(core.counters.inputsLate == 30)
        // The match's telemetry counted the same, per kart: 30 applied, 30 late, margins 0...29
        // then late by 30...1; a copy of a queued input is a duplicate, the wrong relay a drop.
        let ahead = [BatchedInput(matchId: 77, playerId: 5, tick: m.tick + 5, seq: 200, input: accel)]
        try batch(ahead).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        try batch(ahead).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        try batch(ahead).withUnsafeBytes { core.receive($0, from: 2, output: &out) }
        for _ in 0..<2 { core.tick(output: &out) }
        let t = m.telemetry[0]
        #expect(t.playerId == 5 && t.applied == 31 && t.late == 30 && t.duplicate == 1 && t.dropped == 1, "\(t)")
        #expect(t.missing == 2 && t.rejoins == 0 && t.marginMin == -30 && m.ticksStepped == 32, "\(t)")
    }

    /// Steer -128 (a byte a client may send) is applied and logged as -127: the match's log and
    /// snapshots stay readable, so its result can be verified.
    @Test func steerMinus128IsLoggedAsMinus127() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        let hard = InputSample(buttons: KartInput.accelerate, steer: Int8.min)
        try batch([BatchedInput(matchId: 77, playerId: 5, tick: 1, seq: 1, input: hard)]).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        for _ in 0..<3 { core.tick(output: &out) }
        let log = try #require(core.matches[77]?.log)
        #expect(log.changes.last?.input.steer == -127)
        #expect(try InputLog(parsing: log.text()) == log)
    }

    /// Every frame tells each player how early its inputs arrive: the smallest margin of its
    /// recent first arrivals (late ones negative and counted), unknown before any.
    @Test func framesReportEachPlayersInputMargin() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        try send(JoinRequestPacket(matchId: 77, playerId: 6, mode: .join), to: core, from: 1, &out)
        #expect(InputTiming.window == Limits.inputMarginArrivals)
        let accel = InputSample(buttons: KartInput.accelerate, steer: 0)
        let next = core.matches[77]!.tick + 1
        // Player 5: inputs 6...9 ticks ahead of the next step.
        let early = (6...9).map { BatchedInput(matchId: 77, playerId: 5, tick: next + UInt32($0), seq: UInt32($0), input: accel) }
        try batch(early).withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        for _ in 0..<3 { core.tick(output: &out) }
        var ack = try #require(out.frames(to: 1).last?.0.ack(of: 5))
        #expect(ack.inputMargin == 6)
        #expect(out.frames(to: 1).last?.0.ack(of: 6)?.inputMargin == PlayerAck.unknownMargin)
        // An input for a tick already stepped: late by 2, reported and counted.
        let stepped = core.matches[77]!.tick
        try batch([BatchedInput(matchId: 77, playerId: 5, tick: stepped - 1, seq: 50, input: accel)])
            .withUnsafeBytes { core.receive($0, from: 1, output: &out) }
        #expect(core.counters.inputsLate == 1)
        for _ in 0..<3 { core.tick(output: &out) }
        ack = try #require(out.frames(to: 1).last?.0.ack(of: 5))
        #expect(ack.inputMargin == -2)
        // A resume resets the window: the new path's timing counts, not the old one's.
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .resume), to: core, from: 2, &out)
        for _ in 0..<3 { core.tick(output: &out) }
        #expect(out.frames(to: 2).last?.0.ack(of: 5)?.inputMargin == PlayerAck.unknownMargin)
    }

    @Test func inputsFromAnotherRelayOrForeignPlayersAreDropped() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        let e = BatchedInput(matchId: 77, playerId: 5, tick: 3, seq: 1, input: .neutral)
        try batch([e]).withUnsafeBytes { core.receive($0, from: 2, output: &out) }          // wrong relay
        try batch([BatchedInput(matchId: 77, playerId: 42, tick: 3, seq: 1, input: .neutral)]).withUnsafeBytes {
            core.receive($0, from: 1, output: &out)                                          // not in match
        }
        try batch([BatchedInput(matchId: 1234, playerId: 5, tick: 3, seq: 1, input: .neutral)]).withUnsafeBytes {
            core.receive($0, from: 1, output: &out)                                          // no such match
        }
        #expect(core.counters.inputsDropped == 3 && core.counters.inputsApplied == 0)
    }

    @Test func garbageIsCountedAndOtherMatchesKeepRunning() throws {
        let core = try makeCore()
        try core.createMatch(id: 78, seed: 2)
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 78, playerId: 5, mode: .join), to: core, from: 1, &out)
        var rng = SplitMix64(seed: 4)
        for _ in 0..<2000 {
            let junk = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            junk.withUnsafeBytes { core.receive($0, from: 9, output: &out) }
        }
        #expect(core.counters.drops.reduce(0, +) == 2000)
        for _ in 0..<6 { core.tick(output: &out) }
        #expect(core.matches[78]!.tick == 6)
    }

    @Test func resumeThroughAnotherRelayKeepsSlotAndAck() throws {
        let core = try makeCore()
        var out = RecordingOutput()
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .join), to: core, from: 1, &out)
        try batch([BatchedInput(matchId: 77, playerId: 5, tick: 1, seq: 9, input: .neutral)]).withUnsafeBytes {
            core.receive($0, from: 1, output: &out)
        }
        core.tick(output: &out)
        core.relayLost(RelayLink(1))
        try send(JoinRequestPacket(matchId: 77, playerId: 5, mode: .resume), to: core, from: 2, &out)
        let reply = out.joinReplies(to: 2).last
        #expect(reply?.result == .ok && reply?.slot == 0 && reply?.lastAppliedSeq == 9)
        // The old relay can no longer feed this player.
        try batch([BatchedInput(matchId: 77, playerId: 5, tick: 5, seq: 10, input: .neutral)]).withUnsafeBytes {
            core.receive($0, from: 1, output: &out)
        }
        #expect(core.counters.inputsDropped == 1)
    }

    @Test func configValidation() {
        var c = ShardConfig()
        c.playersPerMatch = 0
        c.id = "a b"
        #expect(c.validate().count == 2)
    }
}

/// The tests' shorthand: feed the core, then collect what it queued.
extension ShardCore {
    func receive(_ bytes: UnsafeRawBufferPointer, from relay: Int, output: inout RecordingOutput) {
        receive(bytes, from: RelayLink(UInt32(relay)))
        output.collect(self)
    }

    func tick(output: inout RecordingOutput) {
        tick()
        output.collect(self)
    }
}
