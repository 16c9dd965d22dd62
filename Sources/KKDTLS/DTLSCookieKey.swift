import COpenSSL

/// The secret every relay worker (and every relay of a POP) shares to make and check DTLS
/// cookies statelessly: cookie = bucket tag (1 byte) || HMAC-SHA256(secret, bucket || peer)[0..<16],
/// where bucket = unix seconds / `bucketSeconds`. A cookie verifies in its own bucket and the
/// next one, so it lives between `bucketSeconds` and twice that.
///
/// The HMAC's inner and outer SHA-256 states are precomputed at init; making or checking a cookie
/// copies them on the stack: no allocation, one HMAC per packet.
public struct DTLSCookieKey: @unchecked Sendable {
    /// Bytes of a cookie this key makes.
    public static let cookieBytes = 1 + macBytes
    static let macBytes = 16
    /// Most bytes of a peer address (a sockaddr_in6 is 28).
    public static let maxPeerBytes = 32

    /// Width of a validity bucket in seconds.
    public let bucketSeconds: UInt64
    private let inner: SHA256_CTX
    private let outer: SHA256_CTX

    /// `secret`: 16 to 64 random bytes, the same on every relay worker. `bucketSeconds` >= 1.
    public init(secret: [UInt8], bucketSeconds: UInt64 = 30) throws(DTLSError) {
        guard (16...64).contains(secret.count), bucketSeconds >= 1 else { throw .invalidConfiguration }
        self.bucketSeconds = bucketSeconds
        var ipad = [UInt8](repeating: 0x36, count: 64)
        var opad = [UInt8](repeating: 0x5C, count: 64)
        for (i, b) in secret.enumerated() { ipad[i] ^= b; opad[i] ^= b }
        var i = SHA256_CTX()
        var o = SHA256_CTX()
        guard crelay_sha256_init(&i) == 1, crelay_sha256_init(&o) == 1,
              crelay_sha256_update(&i, ipad, 64) == 1, crelay_sha256_update(&o, opad, 64) == 1
        else { throw .setupFailed(.capture()) }
        inner = i
        outer = o
    }

    /// Writes the cookie for `peer` at unix time `nowSeconds` into `out` (at least
    /// ``cookieBytes``); returns the byte count, or 0 when `out` is too small or `peer` too long.
    public func makeCookie(peer: UnsafeRawBufferPointer, nowSeconds: UInt64, into out: UnsafeMutableRawBufferPointer) -> Int {
        guard out.count >= Self.cookieBytes, peer.count <= Self.maxPeerBytes else { return 0 }
        let bucket = nowSeconds / bucketSeconds
        var md: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &md) { mac(bucket: bucket, peer: peer, into: $0) }
        out[0] = UInt8(truncatingIfNeeded: bucket)
        withUnsafeBytes(of: &md) { m in
            for k in 0..<Self.macBytes { out[1 + k] = m[k] }
        }
        return Self.cookieBytes
    }

    /// Whether `cookie` was made by this key for `peer` in the current or the previous bucket.
    /// Constant-time comparison.
    public func verify(cookie: UnsafeRawBufferPointer, peer: UnsafeRawBufferPointer, nowSeconds: UInt64) -> Bool {
        guard cookie.count == Self.cookieBytes, peer.count <= Self.maxPeerBytes else { return false }
        let current = nowSeconds / bucketSeconds
        let bucket: UInt64
        if cookie[0] == UInt8(truncatingIfNeeded: current) {
            bucket = current
        } else if current > 0, cookie[0] == UInt8(truncatingIfNeeded: current - 1) {
            bucket = current - 1
        } else {
            return false
        }
        var md: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &md) { m in
            mac(bucket: bucket, peer: peer, into: m)
            return CRYPTO_memcmp(m.baseAddress, cookie.baseAddress! + 1, Self.macBytes) == 0
        }
    }

    /// HMAC-SHA256(secret, bucket u64 LE || peer length u8 || peer) into 32 bytes.
    private func mac(bucket: UInt64, peer: UnsafeRawBufferPointer, into md: UnsafeMutableRawBufferPointer) {
        var c = inner
        var b = bucket.littleEndian
        var n = UInt8(peer.count)
        withUnsafeBytes(of: &b) { _ = crelay_sha256_update(&c, $0.baseAddress, 8) }
        withUnsafeBytes(of: &n) { _ = crelay_sha256_update(&c, $0.baseAddress, 1) }
        if let p = peer.baseAddress, peer.count > 0 { _ = crelay_sha256_update(&c, p, peer.count) }
        let digest = md.baseAddress!.assumingMemoryBound(to: UInt8.self)
        _ = crelay_sha256_final(digest, &c)
        var o = outer
        _ = crelay_sha256_update(&o, digest, 32)
        _ = crelay_sha256_final(digest, &o)
    }
}
