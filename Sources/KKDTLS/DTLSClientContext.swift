import COpenSSL

/// A DTLS 1.2 client configuration (owns the `SSL_CTX`) for the client SDK and the load
/// generator: ECDHE-PSK with the connect token's sealed text as identity and its client key as PSK
/// (both given per session). Not thread-safe: one per thread.
public final class DTLSClientContext {
    let ctx: OpaquePointer
    /// Retransmission timer of the client's flights.
    public let retransmit: DTLSRetransmitPolicy

    /// `cipherList` narrows the offered suites (OpenSSL syntax; interop checks and tests),
    /// e.g. `"ECDHE-PSK-AES128-CBC-SHA256"` to exercise the fallback.
    public init(retransmit: DTLSRetransmitPolicy = .init(), cipherList: String? = nil) throws(DTLSError) {
        ctx = try DTLSContextSettings.makeContext(method: DTLS_client_method())
        self.retransmit = retransmit
        if let cipherList, SSL_CTX_set_cipher_list(ctx, cipherList) != 1 {
            let stack = OpenSSLErrorStack.capture()
            SSL_CTX_free(ctx)
            throw .setupFailed(stack)
        }
        SSL_CTX_set_psk_client_callback(ctx) { ssl, _, identity, maxIdentity, psk, maxPSK in
            DTLSCallbacks.session(ssl)?.clientPSK(identity: identity, maxIdentity: maxIdentity, psk: psk, maxPSK: maxPSK) ?? 0
        }
    }

    deinit { SSL_CTX_free(ctx) }
}
