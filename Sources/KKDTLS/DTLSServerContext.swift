import COpenSSL
import KKToken

/// The relay's DTLS 1.2 server configuration (owns the `SSL_CTX`): ECDHE-PSK where the PSK
/// identity is a sealed connect token and the PSK is the token's client key, and stateless
/// cookies under a secret shared by all relay workers.
///
/// One per loop thread: the token validator it holds reuses buffers and is not thread-safe.
public final class DTLSServerContext {
    let ctx: OpaquePointer
    /// Makes and checks cookies; the same key the ``gate`` uses.
    public let cookieKey: DTLSCookieKey
    /// Retransmission timer of the server's flights.
    public let retransmit: DTLSRetransmitPolicy
    let validator: TokenValidator
    let clock: () -> UInt64

    /// - Parameters:
    ///   - validator: checks PSK identities (sealed tokens) offline.
    ///   - cookieKey: the shared cookie secret.
    ///   - retransmit: handshake retransmission timer.
    ///   - clock: unix seconds, for token expiry and cookie buckets (injectable for tests).
    public init(validator: TokenValidator, cookieKey: DTLSCookieKey, retransmit: DTLSRetransmitPolicy = .init(),
                clock: @escaping () -> UInt64 = dtlsUnixSeconds) throws(DTLSError) {
        ctx = try DTLSContextSettings.makeContext(method: DTLS_server_method())
        self.cookieKey = cookieKey
        self.retransmit = retransmit
        self.validator = validator
        self.clock = clock
        SSL_CTX_set_psk_server_callback(ctx) { ssl, identity, psk, maxLen in
            DTLSCallbacks.session(ssl)?.serverPSK(identity: identity, psk: psk, maxLength: maxLen) ?? 0
        }
        SSL_CTX_set_cookie_generate_cb(ctx) { ssl, cookie, length in
            DTLSCallbacks.session(ssl)?.generateCookie(cookie, length) ?? 0
        }
        SSL_CTX_set_cookie_verify_cb(ctx) { ssl, cookie, length in
            DTLSCallbacks.session(ssl)?.verifyCookie(cookie, length) ?? 0
        }
    }

    deinit { SSL_CTX_free(ctx) }

    /// The stateless pre-check for first datagrams, with this context's cookie key.
    public var gate: DTLSCookieGate { DTLSCookieGate(key: cookieKey) }

    /// The context's current unix time.
    public var nowSeconds: UInt64 { clock() }
}
