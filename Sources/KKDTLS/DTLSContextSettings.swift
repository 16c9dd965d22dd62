import COpenSSL
import Glibc
import KKWire

/// Retransmission timer of a handshake flight: `initialMillis`, doubling up to `maxMillis`;
/// OpenSSL fails the handshake after 12 timeouts without progress. The relay drives it with
/// ``DTLSSession/nextTimeout(nowMillis:)`` and ``DTLSSession/handleTimeout()``.
///
/// Values are clamped to at least ``minimumMillis``: OpenSSL 3.0 treats a timer with under 15 ms
/// left as expired, and it services expired timers inside every read, so a shorter timer would
/// retransmit in a loop until the handshake fails.
public struct DTLSRetransmitPolicy: Sendable, Equatable {
    /// Smallest timer length accepted.
    public static let minimumMillis: UInt32 = 16
    public var initialMillis: UInt32
    public var maxMillis: UInt32

    /// The defaults are for lossy paths: a flight lost (25% loss each way loses a round trip
    /// almost half the time) is sent again after 250 ms, then 500 ms, then every second, so a
    /// handshake of three round trips finishes in a few seconds where a 400 ms -> 3.2 s doubling
    /// timer needed more than the client's patience (issue 14: 2 of 16 clients never connected).
    public init(initialMillis: UInt32 = 250, maxMillis: UInt32 = 1000) {
        self.initialMillis = max(Self.minimumMillis, initialMillis)
        self.maxMillis = max(self.initialMillis, maxMillis)
    }

    /// Next timer length in microseconds after `previousMicros` (0: the first flight).
    func nextMicros(after previousMicros: UInt32) -> UInt32 {
        if previousMicros == 0 { return initialMillis &* 1000 }
        return min(previousMicros &* 2, maxMillis &* 1000)
    }
}

/// What server and client contexts share: DTLS 1.2 only, ECDHE-PSK suites, X25519/P-256,
/// no tickets, no session cache, no renegotiation, fixed MTU (no querying), no read-ahead.
enum DTLSContextSettings {
    /// AEAD suites only: ChaCha20-Poly1305 first, AES-128-GCM (finite-field DHE, the only PSK
    /// AES-GCM suite with forward secrecy OpenSSL has) for peers without it. No CBC suite: with
    /// encrypt-then-MAC OpenSSL answers a record with a bad MAC by failing the session (so a forged
    /// datagram could kick a player), and without it CBC in DTLS is open to timing attacks.
    static let pskCipherList = "ECDHE-PSK-CHACHA20-POLY1305:DHE-PSK-AES128-GCM-SHA256"
    static let groups = "X25519:P-256"

    static func makeContext(method: OpaquePointer?) throws(DTLSError) -> OpaquePointer {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(method) else { throw .setupFailed(.capture()) }
        let options = UInt64(crelay_ssl_op_no_query_mtu()) | UInt64(crelay_ssl_op_no_ticket())
            | UInt64(crelay_ssl_op_no_renegotiation()) | UInt64(crelay_ssl_op_cipher_server_preference())
        _ = crelay_ssl_ctx_set_options(ctx, options)
        _ = crelay_ssl_ctx_set_session_cache_off(ctx)
        _ = crelay_ssl_ctx_set_read_ahead(ctx, 0)
        _ = crelay_ssl_ctx_set_dh_auto(ctx)
        // Memory per client: release the record buffers between datagrams.
        _ = crelay_ssl_ctx_set_release_buffers(ctx)
        guard crelay_ssl_ctx_set_min_proto(ctx, crelay_dtls1_2_version()) == 1,
              crelay_ssl_ctx_set_max_proto(ctx, crelay_dtls1_2_version()) == 1,
              SSL_CTX_set_cipher_list(ctx, pskCipherList) == 1,
              crelay_ssl_ctx_set_ecdh_groups(ctx, groups) == 1
        else {
            let stack = OpenSSLErrorStack.capture()
            SSL_CTX_free(ctx)
            throw .setupFailed(stack)
        }
        return ctx
    }

    /// The MTU each session uses for handshake datagrams: `Limits.maxDatagramBytes`.
    static let mtu = Limits.maxDatagramBytes
}

/// Unix time in seconds (the default clock of a server context).
public func dtlsUnixSeconds() -> UInt64 {
    UInt64(max(0, time(nil)))
}
