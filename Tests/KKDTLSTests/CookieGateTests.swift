import KKDTLS
import KKTestSupport
import Testing

@Suite struct CookieGateTests {
    static let key = try! DTLSCookieKey(secret: Harness.cookieSecret, bucketSeconds: 30)

    /// Captures the client's first ClientHello and, after a HelloVerifyRequest, the second one.
    static func clientHellos() throws -> (plain: [UInt8], withCookie: [UInt8]) {
        let h = try Harness()
        _ = h.client.advance()
        let first = try #require(try h.drain(h.client))
        h.toServer(first)  // the gate answers with a HelloVerifyRequest, delivered to the client
        let second = try #require(try h.drain(h.client))
        return (first, second)
    }

    func inspect(_ d: [UInt8], peer: [UInt8] = Harness.peer, now: UInt64 = Harness.now,
                 response: inout [UInt8]) -> DTLSGateVerdict {
        let gate = DTLSCookieGate(key: Self.key)
        return d.withUnsafeBytes { db in
            peer.withUnsafeBytes { p in response.withUnsafeMutableBytes { gate.inspect(db, peer: p, nowSeconds: now, response: $0) } }
        }
    }

    @Test func helloVerifyRequestIsSmallerThanTheRequestAndEchoesTheSequence() throws {
        let (hello, _) = try Self.clientHellos()
        var response = [UInt8](repeating: 0, count: 64)
        let verdict = inspect(hello, response: &response)
        guard case .sendHelloVerifyRequest(let n, let stale) = verdict else { Issue.record("\(verdict)"); return }
        #expect(!stale)
        #expect(n < hello.count)
        #expect(response[0] == 22 && response[1] == 0xFE && response[2] == 0xFF)
        #expect(Array(response[3..<11]) == Array(hello[3..<11]))
        #expect(response[13] == 3)
        #expect(Int(response[27]) == DTLSCookieKey.cookieBytes)
    }

    @Test func validCookieStartsSessionOnlyForItsPeerAndWindow() throws {
        let (_, second) = try Self.clientHellos()
        var response = [UInt8](repeating: 0, count: 64)
        #expect(inspect(second, response: &response) == .startSession)
        // Next bucket: still valid. Two buckets later: a fresh HelloVerifyRequest.
        #expect(inspect(second, now: Harness.now + 30, response: &response) == .startSession)
        #expect(inspect(second, now: Harness.now + 61, response: &response)
            == .sendHelloVerifyRequest(length: DTLSRecordLayout.helloVerifyRequestBytes, staleCookie: true))
        // Another address (spoofed source or NAT rebinding): a fresh HelloVerifyRequest.
        #expect(inspect(second, peer: [10, 0, 0, 8, 0x1E, 0x61], response: &response)
            == .sendHelloVerifyRequest(length: DTLSRecordLayout.helloVerifyRequestBytes, staleCookie: true))
        // A key with another secret does not accept it.
        let otherGate = DTLSCookieGate(key: try DTLSCookieKey(secret: [UInt8](repeating: 1, count: 32)))
        let v = second.withUnsafeBytes { d in Harness.peer.withUnsafeBytes { p in
            response.withUnsafeMutableBytes { otherGate.inspect(d, peer: p, nowSeconds: Harness.now, response: $0) } } }
        #expect(v == .sendHelloVerifyRequest(length: DTLSRecordLayout.helloVerifyRequestBytes, staleCookie: true))
    }

    /// A ClientHello whose cookie was damaged in flight gets a new HelloVerifyRequest and no
    /// session. (The OpenSSL client ignores that second HelloVerifyRequest: message_seq 0 is
    /// behind it.) Its retransmission timer resends the intact ClientHello and the handshake
    /// completes.
    @Test func badCookieGetsNewHelloVerifyRequestAndNoSession() throws {
        let h = try Harness(clientRetransmit: FastTimer.policy)
        _ = h.client.advance()
        let first = try #require(try h.drain(h.client))
        h.toServer(first)
        var second = try #require(try h.drain(h.client))
        // The cookie follows record 13 + handshake 12 + version 2 + random 32 + session id.
        let sid = Int(second[13 + 12 + 2 + 32])
        let cookieAt = 13 + 12 + 2 + 32 + 1 + sid + 1
        second[cookieAt + 3] ^= 0x80
        h.toServer(second)
        #expect(h.serverSession == nil)
        #expect(h.verdicts.last == .sendHelloVerifyRequest(length: DTLSRecordLayout.helloVerifyRequestBytes, staleCookie: true))
        try h.run()
        #expect(h.serverSession == nil)
        #expect(try FastTimer.fire(h.client))
        try h.run()
        #expect(h.verdicts.last == .startSession)
        #expect(h.serverResult == .established && h.clientResult == .established)
    }

    /// A server session given a ClientHello without (or with a wrong) cookie fails `.cookieInvalid`
    /// and queues nothing (the gate, not the session, answers those).
    @Test func sessionRefusesClientHelloWithoutValidCookie() throws {
        let (hello, second) = try Self.clientHellos()
        let h = try Harness()
        for (d, peer) in [(hello, Harness.peer), (second, [UInt8]([1, 2, 3, 4, 5, 6]))] {
            let s = try peer.withUnsafeBytes { try DTLSSession(server: h.server, peer: $0) }
            try s.feed(d)
            #expect(s.advance() == .failed(.cookieInvalid))
            #expect(try h.drain(s) == nil)
        }
    }

    @Test func cookieKeyRules() throws {
        #expect(throws: DTLSError.invalidConfiguration) { try DTLSCookieKey(secret: [1, 2, 3]) }
        #expect(throws: DTLSError.invalidConfiguration) { try DTLSCookieKey(secret: [UInt8](repeating: 0, count: 16), bucketSeconds: 0) }
        var cookie = [UInt8](repeating: 0, count: 32)
        let n = Harness.peer.withUnsafeBytes { p in cookie.withUnsafeMutableBytes { Self.key.makeCookie(peer: p, nowSeconds: 99, into: $0) } }
        #expect(n == DTLSCookieKey.cookieBytes)
        let ok = Harness.peer.withUnsafeBytes { p in cookie.withUnsafeBytes { Self.key.verify(cookie: UnsafeRawBufferPointer(rebasing: $0[0..<n]), peer: p, nowSeconds: 99) } }
        #expect(ok)
    }
}
