import COpenSSL
import KKToken

/// One DTLS 1.2 association (owns the `SSL *` and its two memory BIOs), with no socket: the
/// caller feeds received datagrams in, advances the handshake, drains ciphertext datagrams out
/// and reads/writes plaintext (modelled on swift-nio-ssl's `SSLConnection`).
///
/// After every `feed`, `advance`, `readPlaintext`, `writePlaintext`, `handleTimeout` and
/// `shutdown`, call ``drainOutgoing(into:)`` until it returns nil. Feed one datagram, then
/// advance or read until nothing is left, before feeding the next.
///
/// Server sessions are created only for a ClientHello the ``DTLSCookieGate`` let through
/// (``DTLSGateVerdict/startSession``): the first datagram goes through `DTLSv1_listen`, which
/// re-checks the cookie with the context's key and sets the handshake sequence numbers.
public final class DTLSSession {
    /// Which end of the association this is.
    public enum Role: Sendable { case server, client }

    enum State { case handshaking, established, failed(DTLSError), closed }

    let ssl: OpaquePointer
    let rbio: OpaquePointer
    let wbio: OpaquePointer
    public let role: Role
    let server: DTLSServerContext?
    let client: DTLSClientContext?
    let retransmit: DTLSRetransmitPolicy
    /// Server: the peer address bytes the cookie is bound to.
    let peer: [UInt8]
    /// Client: the PSK identity (NUL-terminated) and key.
    let pskIdentity: [UInt8]
    let psk: [UInt8]
    var state: State = .handshaking
    var listened = false
    var authenticatedToken: PrivateToken?
    /// The negotiated cipher's smallest authenticated record body (set when established).
    var minimumRecordBody = DTLSRecordFilter.minimumChaChaBodyBytes

    /// Why the PSK callback refused the identity, when it did (also in `.failed(.tokenRejected)`).
    public internal(set) var tokenRejection: TokenError?

    /// A server session for `peer` (the same address bytes given to the cookie gate).
    public convenience init(server context: DTLSServerContext, peer: UnsafeRawBufferPointer) throws(DTLSError) {
        guard peer.count <= DTLSCookieKey.maxPeerBytes else { throw .invalidConfiguration }
        try self.init(role: .server, ctx: context.ctx, server: context, client: nil, retransmit: context.retransmit,
                      peer: Array(peer), identity: [], psk: [])
    }

    /// A client session authenticating with `pskIdentity` (at most 256 bytes, no NUL) and `psk`.
    public convenience init(client context: DTLSClientContext, pskIdentity: [UInt8], psk: [UInt8]) throws(DTLSError) {
        guard pskIdentity.count <= 256, !pskIdentity.contains(0), (1...64).contains(psk.count) else {
            throw .invalidConfiguration
        }
        try self.init(role: .client, ctx: context.ctx, server: nil, client: context, retransmit: context.retransmit,
                      peer: [], identity: pskIdentity + [0], psk: psk)
    }

    /// A client session for a connect token: identity = `token.sealed`, PSK = its client key.
    public convenience init(client context: DTLSClientContext, token: ConnectToken) throws(DTLSError) {
        let key: [UInt8]
        do throws(TokenError) { key = try token.clientKeyBytes() } catch { throw .tokenRejected(error) }
        try self.init(client: context, pskIdentity: Array(token.sealed.utf8), psk: key)
    }

    private init(role: Role, ctx: OpaquePointer, server: DTLSServerContext?, client: DTLSClientContext?,
                 retransmit: DTLSRetransmitPolicy, peer: [UInt8], identity: [UInt8], psk: [UInt8]) throws(DTLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(ctx) else { throw .setupFailed(.capture()) }
        let rb = BIO_new(BIO_s_mem())
        let wb = BIO_new(BIO_s_mem())
        guard let r = rb, let w = wb else {
            let stack = OpenSSLErrorStack.capture()
            BIO_free(rb)
            BIO_free(wb)
            SSL_free(ssl)
            throw .setupFailed(stack)
        }
        _ = crelay_bio_set_mem_eof_return(r, -1)
        _ = crelay_bio_set_mem_eof_return(w, -1)
        SSL_set_bio(ssl, r, w)  // the SSL owns both BIOs now
        self.ssl = ssl
        self.rbio = r
        self.wbio = w
        self.role = role
        self.server = server
        self.client = client
        self.retransmit = retransmit
        self.peer = peer
        self.pskIdentity = identity
        self.psk = psk
        guard crelay_ssl_set_mtu(ssl, Int(DTLSContextSettings.mtu)) == DTLSContextSettings.mtu else {
            throw .setupFailed(.capture())
        }
        _ = crelay_ssl_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
        DTLS_set_timer_cb(ssl) { ssl, previous in
            DTLSCallbacks.session(ssl)?.retransmit.nextMicros(after: previous) ?? 1_000_000
        }
        if role == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit {
        _ = crelay_ssl_set_app_data(ssl, nil)
        SSL_free(ssl)
    }

    /// Whether the handshake completed (and the session has not failed or closed since).
    public var isEstablished: Bool {
        if case .established = state { return true }
        return false
    }

    /// The validated connect token (server side), once the handshake completed.
    public var token: PrivateToken? { isEstablished ? authenticatedToken : nil }

    /// Queues one received datagram for OpenSSL. Once the session is established only the
    /// records that can authenticate reach OpenSSL (``DTLSRecordFilter``); `rejected` is called
    /// once per record dropped before it, so no forged datagram can make the session answer with
    /// an alert or fail.
    public func feed(_ datagram: UnsafeRawBufferPointer,
                     rejected: (DTLSRecordRejection) -> Void = { _ in }) throws(DTLSError) {
        guard datagram.count > 0 else { return }
        switch state {
        case .failed, .closed: throw .closed
        case .handshaking: try queue(datagram)
        case .established:
            var failed = false
            DTLSRecordFilter.walk(datagram, minimumBodyBytes: minimumRecordBody, accept: { record in
                if !failed { do throws(DTLSError) { try queue(record) } catch { failed = true } }
            }, reject: rejected)
            if failed { throw .setupFailed(.capture()) }
        }
    }

    /// Appends bytes to the read BIO.
    private func queue(_ bytes: UnsafeRawBufferPointer) throws(DTLSError) {
        guard let base = bytes.baseAddress, bytes.count <= Int(Int32.max),
              BIO_write(rbio, base, Int32(bytes.count)) == Int32(bytes.count) else { throw .setupFailed(.capture()) }
    }

    /// Drives the handshake with what has been fed.
    public func advance() -> DTLSAdvance {
        switch state {
        case .established: return .established
        case .failed(let e): return .failed(e)
        case .closed: return .failed(.closed)
        case .handshaking: break
        }
        ERR_clear_error()
        if role == .server, !listened {
            guard crelay_bio_ctrl_pending(rbio) > 0 else { return .wantMore }
            if let failure = listen() { return .failed(fail(failure)) }
        }
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            state = .established
            if let cipher = SSL_get_current_cipher(ssl), SSL_CIPHER_get_cipher_nid(cipher) != NID_chacha20_poly1305 {
                minimumRecordBody = DTLSRecordFilter.minimumGCMBodyBytes
            }
            return .established
        }
        let code = SSL_get_error(ssl, r)
        if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { return .wantMore }
        return .failed(fail(handshakeError(sslError: code)))
    }

    /// Runs `DTLSv1_listen` on the first fed datagram: verifies the cookie and sets the sequence
    /// numbers a handshake after a HelloVerifyRequest continues with. Nil on success.
    private func listen() -> DTLSError? {
        guard let addr = BIO_ADDR_new() else { return .setupFailed(.capture()) }
        let r = DTLSv1_listen(ssl, addr)
        BIO_ADDR_free(addr)
        if r == 1 {
            listened = true
            return nil
        }
        // Not a ClientHello with a valid cookie: drop whatever listen queued (a HelloVerifyRequest).
        _ = crelay_bio_reset(wbio)
        if r == 0 {
            ERR_clear_error()
            return .cookieInvalid
        }
        return .handshakeFailed(.capture(sslError: Int32(r)))
    }

    /// Records a failure as the session's final state.
    func fail(_ error: DTLSError) -> DTLSError {
        state = .failed(error)
        return error
    }
}

extension DTLSSession {
    /// The negotiated cipher suite's OpenSSL name (cold path: allocates).
    public var cipherSuiteName: String? {
        guard let cipher = SSL_get_current_cipher(ssl), let name = SSL_CIPHER_get_name(cipher) else { return nil }
        return String(cString: name)
    }
}
