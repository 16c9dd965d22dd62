import KKDTLS
import KKTestSupport
import KKToken
import KKWire
import Testing

@Suite struct HandshakeTests {
    /// ClientHello -> HelloVerifyRequest (from the stateless gate) -> ClientHello with cookie ->
    /// session -> PSK handshake with a real connect token; then application data both ways.
    @Test func fullHandshakeThroughCookieGate() throws {
        let h = try Harness()
        try h.run()
        #expect(h.verdicts.count == 2)
        #expect(h.verdicts.first == .sendHelloVerifyRequest(length: DTLSRecordLayout.helloVerifyRequestBytes, staleCookie: false))
        #expect(h.verdicts.last == .startSession)
        #expect(h.clientResult == .established)
        #expect(h.serverResult == .established)
        let server = try #require(h.serverSession)
        #expect(server.isEstablished && h.client.isEstablished)
        let token = try #require(server.token)
        #expect(token.playerId == 42 && token.matchId == 9 && token.kind == .connect)
        #expect(h.client.token == nil)
        #expect(server.cipherSuiteName == "ECDHE-PSK-CHACHA20-POLY1305")
        #expect(h.largestDatagram <= Limits.maxDatagramBytes)

        try h.send(Array("hello relay".utf8), from: h.client)
        try h.send(Array("hello kart".utf8), from: server)
        try h.flush()
        #expect(h.serverReceived == [Array("hello relay".utf8)])
        #expect(h.clientReceived == [Array("hello kart".utf8)])
        // No timer left running on the server once established with nothing in flight.
        #expect(server.nextTimeout(nowMillis: 0) == nil)
    }

    /// close_notify ends the session on the other side.
    @Test func shutdownReachesPeer() throws {
        let h = try Harness()
        try h.run()
        let server = try #require(h.serverSession)
        h.client.shutdown()
        try h.flush()
        #expect(h.serverResult == .failed(.peerClosed))
        #expect(!server.isEstablished)
        #expect(throws: DTLSError.closed) {
            try server.write([1])
        }
    }

    /// Application data before the handshake is refused, and so are oversized datagrams.
    @Test func dataRulesAreEnforced() throws {
        let h = try Harness()
        #expect(throws: DTLSError.notEstablished) {
            try h.client.write([1, 2])
        }
        try h.run()
        let big = [UInt8](repeating: 7, count: Limits.maxDatagramBytes + 1)
        #expect(throws: DTLSError.datagramTooLarge) {
            try h.client.write(big)
        }
        // A max-size datagram fits the documented ciphertext buffer.
        try h.send([UInt8](repeating: 9, count: Limits.maxDatagramBytes), from: h.client)
        try h.flush()
        #expect(h.serverReceived.last?.count == Limits.maxDatagramBytes)
        #expect(h.largestDatagram <= Limits.maxDatagramBytes + DTLSRecordLayout.maxRecordOverhead)
    }

    /// 1000 datagrams each way, sizes 1...1200, decrypt to what was encrypted, in order.
    @Test func thousandDatagramsRoundTrip() throws {
        let h = try Harness()
        try h.run()
        let server = try #require(h.serverSession)
        var rng = SplitMix64(seed: 11)
        var sentUp: [[UInt8]] = []
        var sentDown: [[UInt8]] = []
        for i in 0..<1000 {
            let n = i < 2 ? [1, Limits.maxDatagramBytes][i] : Int.random(in: 1...Limits.maxDatagramBytes, using: &rng)
            let up = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let down = (0..<(n % 300 + 1)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try h.send(up, from: h.client)
            try h.send(down, from: server)
            sentUp.append(up)
            sentDown.append(down)
            if i % 3 == 0 { try h.flush() }
        }
        try h.flush()
        #expect(h.serverReceived == sentUp)
        #expect(h.clientReceived == sentDown)
        #expect(h.largestDatagram <= Limits.maxDatagramBytes + DTLSRecordLayout.maxRecordOverhead)
    }

    /// After the handshake, garbage and replayed records are dropped silently (DTLS replay
    /// window), and a duplicate ClientHello does not disturb the session.
    @Test func garbageAndReplaysAreIgnoredAfterHandshake() throws {
        let h = try Harness()
        _ = h.client.advance()
        let firstHello = try #require(try h.drain(h.client))
        h.toServer(firstHello)
        let helloWithCookie = try #require(try h.drain(h.client))
        h.toServer(helloWithCookie)
        try h.run()
        let server = try #require(h.serverSession)
        #expect(server.isEstablished)

        try h.client.write(Array("once".utf8))
        let record = try #require(try h.drain(h.client))
        h.toServer(record)
        h.toServer(record)  // replay
        h.toServer([UInt8](repeating: 0x17, count: 40))  // garbage application-data-looking bytes
        h.toServer(helloWithCookie)  // duplicate ClientHello
        try h.flush()
        #expect(h.serverReceived == [Array("once".utf8)])
        #expect(server.isEstablished && h.serverResult == .established)
        try h.send(Array("still up".utf8), from: server)
        try h.flush()
        #expect(h.clientReceived.last == Array("still up".utf8))
    }

    /// A client without ChaCha20 gets the AES-128-GCM fallback; a 1200-byte datagram still fits
    /// the documented ciphertext bound.
    @Test func aesGCMFallbackSuite() throws {
        let h = try Harness(clientCiphers: "DHE-PSK-AES128-GCM-SHA256")
        try h.run()
        let server = try #require(h.serverSession)
        #expect(server.isEstablished && h.client.isEstablished)
        #expect(server.cipherSuiteName == "DHE-PSK-AES128-GCM-SHA256")
        try h.send([UInt8](repeating: 3, count: Limits.maxDatagramBytes), from: server)
        try h.flush()
        #expect(h.clientReceived.last?.count == Limits.maxDatagramBytes)
        #expect(h.largestDatagram <= Limits.maxDatagramBytes + DTLSRecordLayout.maxRecordOverhead)
    }

    /// A client offering no suite the relay accepts fails the handshake (handshake_failure, 40):
    /// CBC suites are refused (with encrypt-then-MAC a forged record would fail the session).
    @Test(arguments: ["PSK-AES128-CBC-SHA256", "ECDHE-PSK-AES128-CBC-SHA256"])
    func noCommonSuiteFails(clientCiphers: String) throws {
        let h = try Harness(clientCiphers: clientCiphers)
        try h.run()
        guard case .failed(.handshakeFailed) = h.serverResult else { Issue.record("\(h.serverResult)"); return }
        #expect(h.clientResult == .failed(.alertReceived(40)))
    }
}
