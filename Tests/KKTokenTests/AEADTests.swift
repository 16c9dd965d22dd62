import KKTestSupport
import KKToken
import Testing

@Suite struct AEADTests {
    /// RFC 8439 §2.8.2 test vector.
    @Test func rfc8439Vector() throws {
        let key = (0x80...0x9F).map { UInt8($0) }
        let nonce: [UInt8] = [0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]
        let ad: [UInt8] = [0x50, 0x51, 0x52, 0x53, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7]
        let plain = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let expected = Hex.bytes("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b
            1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            """)!
        let expectedTag = Hex.bytes("1ae10b594f09e26a7e902ecbd0600691")!
        let aead = try ChaChaPolyAEAD()
        var cipher = [UInt8](repeating: 0, count: plain.count)
        var tag = [UInt8](repeating: 0, count: 16)
        try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try ad.withUnsafeBytes { a in
            try plain.withUnsafeBytes { p in try cipher.withUnsafeMutableBytes { c in try tag.withUnsafeMutableBytes { t in
                try aead.seal(key: k, nonce: n, ad: a, plaintext: p, out: c, tag: t)
            } } }
        } } }
        #expect(cipher == expected)
        #expect(tag == expectedTag)

        var opened = [UInt8](repeating: 0, count: plain.count)
        try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try ad.withUnsafeBytes { a in
            try cipher.withUnsafeBytes { c in try tag.withUnsafeBytes { t in try opened.withUnsafeMutableBytes { o in
                try aead.open(key: k, nonce: n, ad: a, ciphertext: c, tag: t, out: o)
            } } }
        } } }
        #expect(opened == plain)

        var badTag = tag
        badTag[0] ^= 1
        #expect(throws: TokenError.authenticationFailed) {
            try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try ad.withUnsafeBytes { a in
                try cipher.withUnsafeBytes { c in try badTag.withUnsafeBytes { t in try opened.withUnsafeMutableBytes { o in
                    try aead.open(key: k, nonce: n, ad: a, ciphertext: c, tag: t, out: o)
                } } }
            } } }
        }
    }

    /// One context, used in every order: seal, open, failed open, open, seal, open.
    @Test func contextReusedAcrossDirectionsAndFailures() throws {
        let aead = try ChaChaPolyAEAD()
        let key = (0..<32).map { UInt8($0 * 7 & 0xFF) }
        let ad: [UInt8] = [1, 2, 3]
        func seal(_ plain: [UInt8], nonce: [UInt8]) throws -> ([UInt8], [UInt8]) {
            var c = [UInt8](repeating: 0, count: plain.count), t = [UInt8](repeating: 0, count: 16)
            try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try ad.withUnsafeBytes { a in
                try plain.withUnsafeBytes { p in try c.withUnsafeMutableBytes { co in try t.withUnsafeMutableBytes { to in
                    try aead.seal(key: k, nonce: n, ad: a, plaintext: p, out: co, tag: to)
                } } }
            } } }
            return (c, t)
        }
        func open(_ c: [UInt8], _ t: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
            var o = [UInt8](repeating: 0, count: c.count)
            try key.withUnsafeBytes { k in try nonce.withUnsafeBytes { n in try ad.withUnsafeBytes { a in
                try c.withUnsafeBytes { cb in try t.withUnsafeBytes { tb in try o.withUnsafeMutableBytes { ob in
                    try aead.open(key: k, nonce: n, ad: a, ciphertext: cb, tag: tb, out: ob)
                } } }
            } } }
            return o
        }
        let n1 = [UInt8](repeating: 1, count: 12), n2 = [UInt8](repeating: 2, count: 12)
        let p1 = Array("first message".utf8), p2 = Array("a second, longer message".utf8)
        let (c1, t1) = try seal(p1, nonce: n1)
        #expect(try open(c1, t1, nonce: n1) == p1)
        #expect(try open(c1, t1, nonce: n1) == p1)
        var badTag = t1
        badTag[3] ^= 0x10
        #expect(throws: TokenError.authenticationFailed) { try open(c1, badTag, nonce: n1) }
        #expect(throws: TokenError.authenticationFailed) { try open(c1, t1, nonce: n2) }
        #expect(try open(c1, t1, nonce: n1) == p1)
        let (c2, t2) = try seal(p2, nonce: n2)
        #expect(try open(c2, t2, nonce: n2) == p2)
        #expect(try open(c1, t1, nonce: n1) == p1)
        let (c1again, t1again) = try seal(p1, nonce: n1)
        #expect(c1again == c1 && t1again == t1)
    }

    @Test func base64urlRoundTrip() throws {
        var rng = SplitMix64(seed: 3)
        for n in 0..<80 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64URL.encode(bytes)
            #expect(text.utf8.count == Base64URL.encodedLength(n))
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(try Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw")
        #expect(throws: TokenError.badEncoding) { try Base64URL.decode("abcde") }
        #expect(throws: TokenError.badEncoding) { try Base64URL.decode("ab+d") }
        #expect(throws: TokenError.badEncoding) { try Base64URL.decode("YR") }  // non-zero unused bits
    }

    @Test func keyIdAndHex() throws {
        let k = try TokenKey(hex: String(repeating: "ab", count: 32))
        #expect(k.hex == String(repeating: "ab", count: 32))
        #expect(try TokenKey(hex: k.hex).keyId == k.keyId)
        #expect(try TokenKey.random().keyId != k.keyId)
        #expect(throws: TokenError.invalidContent) { try TokenKey(hex: "abc") }
        #expect(throws: TokenError.invalidContent) { try TokenKey(hex: String(repeating: "zz", count: 32)) }
    }
}
