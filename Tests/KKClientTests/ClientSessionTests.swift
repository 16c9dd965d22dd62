import KKClient
import KKShardCore
import KKPhysics
import KKWire
import Testing

@Suite struct ClientSessionTests {
    /// Two bot clients race one lap of the oval through relay + shard cores. Bound (documented
    /// in docs/ARCHITECTURE-client.md): the local kart predicted for a frame's tick matches the
    /// authoritative one exactly in at least 90 % of frames, with mean error <= 0.05 m and max
    /// <= 1.5 m (only kart-kart contacts, which depend on the other player's unknown future
    /// input, can differ); no snaps; every frame decodes.
    @Test func botsCompleteALapWithPredictionAgreeing() throws {
        let net = try ClientTestNet(players: 2, laps: 1)
        let relay = net.addRelay(1)
        let clients = [try TestClient(player: 11), try TestClient(player: 12)]
        for (i, c) in clients.enumerated() { c.connect(to: relay, sessionId: i + 1, net: net) }
        #expect(clients.allSatisfy { $0.session.state == .joining || $0.session.state == .playing })
        var finishedAt: Int?
        while net.ticks < 3_600 {
            net.step()
            for c in clients { c.frame(net) }
            if finishedAt == nil, net.shard.matches[net.matchId]?.isFinished == true { finishedAt = net.ticks }
            if let f = finishedAt, net.ticks > f + 30 { break }
        }
        #expect(finishedAt != nil, "race did not finish")
        for c in clients {
            let s = c.session.stats
            #expect(c.session.state == .playing)
            #expect(c.decodeErrors.isEmpty)
            let auth = try #require(c.session.authoritativeState)
            let slot = try #require(c.session.slot)
            #expect(auth.karts[slot].status == .finished && auth.karts[slot].lap >= 1)
            #expect(s.predictionChecks > 300)
            #expect(Double(s.predictionExact) >= 0.9 * Double(s.predictionChecks))
            #expect(s.predictionErrorMeanMetres <= 0.05 && s.predictionErrorMaxMetres <= 1.5)
            #expect(s.snaps == 0)
            #expect(s.framesDelta > 10 * s.framesFull && s.downLoss == 0)
            #expect(s.upLoss < 0.01)
            #expect(s.inputsAcked > 1_000 && s.pongsReceived >= 20 && s.rttMillis < 40)
            print("client \(c.player): \(s)")
        }
        // No input sequence reached the shard twice.
        for (_, seqs) in net.forwarded { #expect(Set(seqs).count == seqs.count) }
    }

    /// The relay dies mid-race; the client resumes through a second relay core: play goes
    /// on, the shard keeps applying its inputs, and no input is forwarded twice.
    @Test func resumeThroughASecondRelay() throws {
        let net = try ClientTestNet(players: 1, laps: 3)
        let a = net.addRelay(1)
        let c = try TestClient(player: 21)
        c.connect(to: a, sessionId: 1, net: net)
        for _ in 0..<400 { net.step(); c.frame(net) }
        let appliedBefore = net.shard.matches[net.matchId]!.lastAppliedSeq[0]
        #expect(appliedBefore > 100)
        // Relay A is gone; the route flips to B. The game keeps running during the handshake.
        net.shard.relayLost(RelayLink(1))
        a.core.sessionEnded(1)
        c.relay = nil
        c.session.relayChanged(relay: "relay-2:7777", nowMillis: net.nowMillis)
        #expect(c.session.state == .resuming && c.session.statusText == "relay changed; reconnecting...")
        for _ in 0..<12 { net.step(); c.frame(net) }
        let b = net.addRelay(2)
        c.relay = b
        c.sessionId = 7
        b.core.sessionEstablished(7, token: ClientTestNet.token(player: 21), nowMillis: net.nowMillis)
        c.session.handshakeCompleted(nowMillis: net.nowMillis)
        c.flushUp(net)
        for _ in 0..<400 { net.step(); c.frame(net) }
        let s = c.session.stats
        #expect(c.session.state == .playing && s.resumes == 1)
        #expect(b.core.counters.resumes == 1)
        #expect(c.decodeErrors.isEmpty)
        let after = net.shard.matches[net.matchId]!.lastAppliedSeq[0]
        #expect(after > appliedBefore + 350)
        let seqs = net.forwarded[21] ?? []
        #expect(Set(seqs).count == seqs.count, "an input was forwarded twice")
        #expect(s.predictionErrorMaxMetres <= 1.5 && s.snaps == 0)
        let kart = net.shard.matches[net.matchId]!.state.karts[0]
        #expect(kart.lap >= 1 && kart.status == .racing)
    }

    /// Disconnect(matchOver) from the relay ends the session with the player's words, and
    /// nothing more is sent.
    @Test func matchOverEndsTheSession() throws {
        let net = try ClientTestNet(players: 1, laps: 1)
        let relay = net.addRelay(1)
        let c = try TestClient(player: 31)
        c.connect(to: relay, sessionId: 1, net: net)
        for _ in 0..<30 { net.step(); c.frame(net) }
        #expect(c.session.state == .playing)
        relay.core.disconnect(1, .matchOver)
        net.pump()
        c.frame(net)
        #expect(c.session.state == .ended(.server(.matchOver)))
        #expect(c.session.statusText == "the match is over")
        c.session.update(nowMillis: net.nowMillis + 100, input: .neutral)
        #expect(c.session.outgoingCount == 0)
    }
}
