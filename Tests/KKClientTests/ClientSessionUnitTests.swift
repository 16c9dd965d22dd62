import KKClient
import KKPhysics
import KKWire
import Testing

@Suite struct ClientSessionUnitTests {
    @Test func configIsValidated() {
        var c = ClientConfig()
        c.inputRedundancy = 33
        #expect(throws: ClientError.self) { try ClientSession(config: c) }
        c = ClientConfig()
        c.sendEveryTicks = 4
        #expect(throws: ClientError.self) { try ClientSession(config: c) }
        c = ClientConfig()
        c.track = "moon"
        #expect(throws: ClientError.badTrack("moon")) { try ClientSession(config: c) }
    }

    @Test func stateMachineAndMessages() throws {
        let s = try ClientSession()
        #expect(s.state == .idle)
        s.start(nowMillis: 0)
        #expect(s.state == .connecting && s.statusText.contains("match service"))
        s.handshakeStarted(relay: "10.0.0.1:7777", nowMillis: 1)
        #expect(s.state == .handshaking && s.relayAddress == "10.0.0.1:7777")
        s.handshakeCompleted(nowMillis: 2)
        #expect(s.state == .joining)
        var sent: [[UInt8]] = []
        s.drainOutgoing { sent.append(Array($0)) }
        let hello = try sent[0].decodePacket(HelloPacket.self)
        #expect(hello.mode == .join && hello.nextInputSeq == 1)
        // Hello is retried, then the join times out.
        s.update(nowMillis: 1_100, input: .neutral)
        sent.removeAll()
        s.drainOutgoing { sent.append(Array($0)) }
        #expect(sent.contains { (try? $0.decodePacket(HelloPacket.self)) != nil })
        s.update(nowMillis: 9_000, input: .neutral)
        #expect(s.state == .ended(.timedOut) && s.statusText == "connection timed out")

        let f = try ClientSession()
        f.start(nowMillis: 0)
        f.connectionFailed(.unreachable)
        #expect(f.statusText == "cannot reach the match service; check your connection")
        let h = try ClientSession()
        h.start(nowMillis: 0)
        h.connectionFailed(.handshakeFailed)
        #expect(h.statusText.contains("handshake failed"))
        let t = try ClientSession()
        t.start(nowMillis: 0)
        t.connectionFailed(.tokenExpired)
        #expect(t.statusText == "your ticket expired; ask for a new match")
    }

    @Test func garbageIsCountedNotFatal() throws {
        let s = try ClientSession()
        s.start(nowMillis: 0)
        s.handshakeCompleted(nowMillis: 0)
        let junk: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        #expect(throws: ClientError.self) { try s.receive(bytes: junk, nowMillis: 1) }
        // A delta frame without its baseline.
        let frame = try FramePacket(tick: 10, baselineTick: 7, lastAppliedSeq: 0).encoded(payload: [1, 2, 3])
        let welcome = try WelcomePacket(playerId: 1, matchId: 2, slot: 0, tickRate: 60, serverTick: 5,
                                        lastAppliedSeq: 0, resumeTicket: []).encoded()
        try s.receive(bytes: welcome, nowMillis: 2)
        #expect(s.state == .playing)
        #expect(throws: ClientError.missingBaseline(7)) {
            try s.receive(bytes: frame, nowMillis: 3)
        }
        #expect(s.stats.badPackets == 2 && s.state == .playing)
    }

    @Test func rttEstimatorAndHistogram() {
        var r = RttEstimator()
        r.add(sampleMicros: 100_000)
        for _ in 0..<50 { r.add(sampleMicros: 50_000) }
        #expect(abs(r.smoothedMicros - 50_000) < 2_000)
        var h = DistanceHistogram()
        for i in 0..<100 { h.add(q16: Int64(i) * 655) }    // 0 ... 0.99 m in 1 cm steps
        #expect(h.quantileMetres(0.99) <= 1.0 && h.quantileMetres(0.99) >= 0.97)
        #expect(abs(h.meanMetres - 0.495) < 0.01)
    }

    @Test func outgoingQueueIsBoundedAndReused() {
        var q = OutgoingQueue(slots: 4)
        for i in 0..<6 { q.push { (w) throws(WireError) in try PingPacket(pingId: UInt32(i), clientTimeMicros: 0).encode(into: &w) } }
        #expect(q.count == 4 && q.dropped == 2)
        var ids: [UInt32] = []
        q.drain { raw in if let p = try? PingPacket.decode(raw) { ids.append(p.pingId) } }
        #expect(ids == [0, 1, 2, 3] && q.count == 0)
    }
}
