import KKDTLS
import KKTestSupport
import Testing

@Suite struct RetransmitTests {

    /// The server's first flight is lost; its timer fires, it retransmits, the handshake completes.
    @Test func lostServerFlightIsRetransmitted() throws {
        let h = try Harness(serverRetransmit: FastTimer.policy)
        var dropped = 0
        h.dropToClient = { n, _ in
            // Datagram 1 is the gate's HelloVerifyRequest; drop what the session sends next.
            if n >= 2, dropped < 1 { dropped += 1; return true }
            return false
        }
        try h.run()
        #expect(dropped == 1)
        let server = try #require(h.serverSession)
        #expect(!server.isEstablished)
        #expect(server.nextTimeout(nowMillis: 1000) != nil)
        #expect(try FastTimer.fire(server))
        try h.run()
        #expect(h.serverResult == .established && h.clientResult == .established)
        #expect(server.token?.playerId == 42)
    }

    /// The client's key exchange flight (the first datagram its session gets) is lost; the
    /// client's timer retransmits it.
    @Test func lostClientFlightIsRetransmitted() throws {
        let h = try Harness(clientRetransmit: FastTimer.policy)
        var dropped = 0
        h.dropToServer = { n, _ in
            // The ClientHello that starts the session goes through the gate, not this hook.
            if dropped < 1 { dropped += 1; return true }
            return false
        }
        try h.run()
        #expect(dropped == 1)
        #expect(!h.client.isEstablished)
        #expect(try FastTimer.fire(h.client))
        try h.run()
        #expect(h.serverResult == .established && h.clientResult == .established)
    }

    /// With the default policy the timer is armed for about 400 ms after the ClientHello.
    @Test func timeoutReportsDeadline() throws {
        let h = try Harness()
        let sent = ContinuousClock.now
        _ = h.client.advance()
        let deadline = try #require(h.client.nextTimeout(nowMillis: 10_000))
        // OpenSSL's timer runs on the real clock: a thread held up 400 ms sees it expired.
        let heldUp = ContinuousClock.now - sent > .milliseconds(300)
        #expect(deadline >= 10_000 && deadline <= 10_400)
        if !heldUp {
            #expect(deadline > 10_000)
            #expect(try h.client.handleTimeout() == false)
        }
    }
}
