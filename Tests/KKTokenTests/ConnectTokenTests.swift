import KKTestSupport
import KKToken
import KKWire
import Testing

@Suite struct ConnectTokenTests {
    static let key = try! TokenKey(bytes: (0..<32).map { UInt8($0) })
    static let now: UInt64 = 1_800_000_000

    static func sample() -> PrivateToken {
        PrivateToken(playerId: 42, matchId: 9, createTime: now, expireTime: now + 60, kind: .connect,
                     clientKey: (0..<32).map { UInt8(0xA0 + $0 % 16) })
    }

    @Test func issueAndValidate() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let validator = try TokenValidator(keys: [Self.key])
        let token = try issuer.issue(playerId: 42, matchId: 9, now: Self.now, validSeconds: 45, relays: ["127.0.0.1:7777"])
        #expect(token.sealed.utf8.count == SealedTokenLayout.textBytes)
        #expect(SealedTokenLayout.textBytes <= 256)
        let opened = try validator.validate(text: token.sealed, now: Self.now + 1)
        #expect(opened.playerId == 42 && opened.matchId == 9 && opened.kind == .connect)
        #expect(opened.expireTime == Self.now + 45)
        #expect(opened.clientKeyBytes == (try token.clientKeyBytes()))
        // Two tokens for the same player differ (fresh nonce and key).
        let again = try issuer.issue(playerId: 42, matchId: 9, now: Self.now, validSeconds: 45, relays: [])
        #expect(again.sealed != token.sealed && again.clientKey != token.clientKey)
    }

    /// Known answer: a fixed key, nonce and token seal to these exact bytes (see docs/PROTOCOL.md).
    @Test func knownAnswer() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let sealed = try issuer.seal(Self.sample(), nonce: (0..<12).map { UInt8($0) })
        #expect(sealed.count == SealedTokenLayout.sealedBytes)
        #expect(Hex.string(sealed) == Self.knownSealedHex)
        let validator = try TokenValidator(keys: [Self.key])
        let opened = try sealed.withUnsafeBytes { try validator.validate(sealed: $0, now: Self.now) }
        #expect(opened == Self.sample())
    }

    /// Cross-checked with Python's `cryptography` ChaCha20Poly1305 over the same header and plaintext.
    static let knownSealedHex = "014b4b45443cd2496b000000001c5521c2000102030405060708090a0ba3fb08002917a540be833ff3981d0e63c9a2fb8c5174adb9e6378e67d664039a4b2885594db21c369892d77ac6302a85d92c00de56841535bd4248453cd7ef33da2faea7af87ccea8d"

    @Test func eachRefusalIsDistinct() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let validator = try TokenValidator(keys: [Self.key])
        let good = Base64URL.encode(try issuer.seal(Self.sample()))
        let sealed = try Base64URL.decode(good)
        func check(_ text: String, now: UInt64 = ConnectTokenTests.now) -> TokenError? {
            do { _ = try validator.validate(text: text, now: now); return nil } catch { return error }
        }
        func reencode(_ f: (inout [UInt8]) -> Void) -> String { var b = sealed; f(&b); return Base64URL.encode(b) }

        #expect(check(good) == nil)
        #expect(check(good, now: Self.now + 60) == .expired)                  // replay after the window
        #expect(check(good, now: Self.now - SealedTokenLayout.allowedSkewSeconds - 1) == .notYetValid)
        let otherKey = try TokenIssuer(key: TokenKey.random())
        #expect(check(Base64URL.encode(try otherKey.seal(Self.sample()))) == .unknownKey)
        #expect(check(reencode { $0[40] ^= 0x04 }) == .authenticationFailed)  // flipped ciphertext bit
        #expect(check(reencode { $0[$0.count - 1] ^= 0x80 }) == .authenticationFailed)  // flipped tag bit
        #expect(check(reencode { $0[20] ^= 0x01 }) == .authenticationFailed)  // flipped nonce bit
        #expect(check(reencode { $0[6] ^= 0x01 }) == .authenticationFailed)   // expiry moved: AD mismatch
        #expect(check(reencode { $0[0] = 2 }) == .wrongVersion)
        #expect(check(reencode { $0[1] ^= 0x01 }) == .wrongProtocol)
        #expect(check(String(good.dropLast(4))) == .truncated)
        #expect(check(good + "AAAA") == .oversized)
        #expect(check(String(good.dropLast(1)) + "*") == .badEncoding)
        #expect(check("") == .truncated)
        let labels: [TokenError] = [.truncated, .oversized, .badEncoding, .wrongVersion, .wrongProtocol, .expired,
                                    .notYetValid, .unknownKey, .authenticationFailed, .invalidContent, .cryptoFailure]
        #expect(Set(labels.map(\.metricLabel)).count == labels.count)
    }

    /// One validator (one reused cipher context) keeps giving the right answers after refusals.
    @Test func validatorReusedAcrossFailures() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let validator = try TokenValidator(keys: [Self.key])
        let sealed = try issuer.seal(Self.sample())
        let good = Base64URL.encode(sealed)
        var flipped = sealed
        flipped[40] ^= 0x04
        let bad = Base64URL.encode(flipped)
        for _ in 0..<3 {
            #expect(try validator.validate(text: good, now: Self.now) == Self.sample())
            #expect(throws: TokenError.authenticationFailed) { try validator.validate(text: bad, now: Self.now) }
            #expect(throws: TokenError.authenticationFailed) { try validator.validate(text: bad, now: Self.now) }
        }
        #expect(try validator.validate(text: good, now: Self.now) == Self.sample())
    }

    @Test func keyRotationAcceptsPreviousKey() throws {
        let old = try TokenKey.random()
        let new = try TokenKey.random()
        let validator = try TokenValidator(keys: [new, old])
        for k in [old, new] {
            let t = try TokenIssuer(key: k).issue(playerId: 1, matchId: 2, now: Self.now, validSeconds: 30, relays: [])
            #expect(try validator.validate(text: t.sealed, now: Self.now).playerId == 1)
        }
    }

    @Test func resumeTicketKeepsPlayerMatchAndKey() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let validator = try TokenValidator(keys: [Self.key])
        let ticket = try issuer.resumeTicket(for: Self.sample(), now: Self.now + 50, validSeconds: 120)
        let t = try validator.validate(text: ticket, now: Self.now + 100)
        #expect(t.kind == .resumeTicket && t.playerId == 42 && t.matchId == 9)
        #expect(t.clientKeyBytes == Self.sample().clientKeyBytes && t.expireTime == Self.now + 170)
    }

    @Test func wrongProtocolDeploymentIsRefused() throws {
        let a = try TokenIssuer(key: Self.key, protocolId: 1)
        let v = try TokenValidator(keys: [Self.key], protocolId: 2)
        let t = try a.issue(playerId: 1, matchId: 1, now: Self.now, validSeconds: 10, relays: [])
        #expect(throws: TokenError.wrongProtocol) { try v.validate(text: t.sealed, now: Self.now) }
    }

    /// Seeded mutation of token text: nothing but the original ever validates, nothing traps.
    @Test func fuzzTokenText() throws {
        let issuer = try TokenIssuer(key: Self.key)
        let validator = try TokenValidator(keys: [Self.key])
        let good = Array(Base64URL.encode(try issuer.seal(Self.sample())).utf8)
        var rng = SplitMix64(seed: 99)
        var accepted = 0
        for _ in 0..<100_000 {
            let m = Mutator.mutate(good, rng: &rng, maxLength: 300)
            let ok = m.withUnsafeBytes { raw in (try? validator.validate(text: raw, now: Self.now)) != nil }
            if ok { accepted += 1; #expect(m == good) }
        }
        _ = accepted
    }
}
