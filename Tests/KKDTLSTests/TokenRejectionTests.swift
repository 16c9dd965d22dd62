import KKDTLS
import KKTestSupport
import KKToken
import Testing

@Suite struct TokenRejectionTests {
    /// The PSK callback refuses the identity: the server session fails with the validator's reason,
    /// and the client learns it from the unknown_psk_identity alert (115).
    func expectRejected(_ h: Harness, _ reason: TokenError) throws {
        try h.run()
        let server = try #require(h.serverSession)
        #expect(h.serverResult == .failed(.tokenRejected(reason)))
        #expect(server.tokenRejection == reason)
        #expect(server.token == nil && !server.isEstablished)
        #expect(h.clientResult == .failed(.alertReceived(115)))
    }

    @Test func forgedTokenIsRejected() throws {
        let issuer = try TokenIssuer(key: Harness.tokenKey)
        var token = try issuer.issue(playerId: 1, matchId: 2, now: Harness.now, validSeconds: 60, relays: [])
        // Flip one ciphertext character, keeping valid base64url: the AEAD tag no longer verifies.
        var chars = Array(token.sealed.utf8)
        chars[80] = chars[80] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        token.sealed = String(decoding: chars, as: UTF8.self)
        try expectRejected(Harness(token: token), .authenticationFailed)
    }

    @Test func expiredTokenIsRejected() throws {
        let issuer = try TokenIssuer(key: Harness.tokenKey)
        let token = try issuer.issue(playerId: 1, matchId: 2, now: Harness.now - 120, validSeconds: 60, relays: [])
        try expectRejected(Harness(token: token), .expired)
    }

    @Test func tokenSealedWithAnotherKeyIsRejected() throws {
        let other = try TokenKey(bytes: [UInt8](repeating: 0xEE, count: 32))
        let issuer = try TokenIssuer(key: other)
        let token = try issuer.issue(playerId: 1, matchId: 2, now: Harness.now, validSeconds: 60, relays: [])
        try expectRejected(Harness(token: token), .unknownKey)
    }

    @Test func garbageIdentityIsRejected() throws {
        let h = try Harness()
        h.client = try DTLSSession(client: h.clientContext, pskIdentity: Array("not-a-token".utf8),
                                   psk: [UInt8](repeating: 1, count: 32))
        try expectRejected(h, .truncated)
    }

    /// A valid token with the wrong client key: the server cannot decrypt the client's Finished,
    /// so (DTLS drops bad records silently) the server session stays half-open until its
    /// retransmissions run out: `.timeout` (about 13 ms of real time with the 16 ms policy).
    @Test func wrongClientKeyTimesOut() throws {
        let h = try Harness(psk: [UInt8](repeating: 0x55, count: 32), serverRetransmit: FastTimer.policy)
        try h.run()
        let server = try #require(h.serverSession)
        #expect(!server.isEstablished && !h.client.isEstablished)
        var failure: DTLSError?
        for _ in 0..<20 {
            do { _ = try FastTimer.fire(server) } catch { failure = error; break }
        }
        #expect(failure == .timeout)
        #expect(server.advance() == .failed(.timeout))
    }
}
