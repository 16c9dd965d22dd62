import COpenSSL

/// A DTLS 1.2 client configuration (owns the `SSL_CTX`) for the client SDK and the load
/// generator: ECDHE-PSK with the connect token's sealed text as identity and its client key as PSK
/// (both given per session). Not thread-safe: one per thread.
public final class DTLSClientContext {
    let ctx: OpaquePointer
    /// Retransmission timer of the client's flights.
    public let retransmit: DTLSRetransmitPolicy

    public init(retransmit: DTLSRetransmitPolicy = .init()) throws(DTLSError) {
        ctx = try DTLSContextSettings.makeContext(method: DTLS_client_method())
        self.retransmit = retransmit
        SSL_CTX_set_psk_client_callback(ctx) { ssl, _, identity, maxIdentity, psk, maxPSK in
            DTLSCallbacks.session(ssl)?.clientPSK(identity: identity, maxIdentity: maxIdentity, psk: psk, maxPSK: maxPSK) ?? 0
        }
    }

    deinit { SSL_CTX_free(ctx) }
}
