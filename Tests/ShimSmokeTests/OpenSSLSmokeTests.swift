import COpenSSL
import Testing

@Suite struct OpenSSLSmokeTests {
    /// OpenSSL seals and opens a ChaCha20-Poly1305 record through the shim's macro wrappers.
    @Test func aeadRecordRoundTrip() {
        let key = [UInt8](repeating: 7, count: 32)
        let nonce = [UInt8](repeating: 1, count: 12)
        let plain = Array("kart".utf8)
        var cipher = [UInt8](repeating: 0, count: 4)
        var tag = [UInt8](repeating: 0, count: 16)
        var len: Int32 = 0
        let ctx = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(ctx) }
        #expect(EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nil, nil, nil) == 1)
        #expect(crelay_evp_aead_set_ivlen(ctx, 12) == 1)
        #expect(EVP_EncryptInit_ex(ctx, nil, nil, key, nonce) == 1)
        #expect(EVP_EncryptUpdate(ctx, &cipher, &len, plain, 4) == 1)
        #expect(EVP_EncryptFinal_ex(ctx, &cipher, &len) == 1)
        #expect(crelay_evp_aead_get_tag(ctx, 16, &tag) == 1)
        #expect(cipher != plain)

        var out = [UInt8](repeating: 0, count: 4)
        #expect(EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nil, nil, nil) == 1)
        #expect(crelay_evp_aead_set_ivlen(ctx, 12) == 1)
        #expect(EVP_DecryptInit_ex(ctx, nil, nil, key, nonce) == 1)
        #expect(EVP_DecryptUpdate(ctx, &out, &len, cipher, 4) == 1)
        #expect(crelay_evp_aead_set_tag(ctx, 16, &tag) == 1)
        #expect(EVP_DecryptFinal_ex(ctx, &out, &len) == 1)
        #expect(out == plain)
    }

    /// A DTLS 1.2 context with memory BIOs accepts the macro wrappers the relay needs.
    @Test func dtlsContextWithMemoryBIOs() {
        let ctx = SSL_CTX_new(DTLS_server_method())
        #expect(ctx != nil)
        defer { SSL_CTX_free(ctx) }
        #expect(crelay_ssl_ctx_set_min_proto(ctx, crelay_dtls1_2_version()) == 1)
        #expect(SSL_CTX_set_cipher_list(ctx, "ECDHE-PSK-CHACHA20-POLY1305") == 1)
        let ssl = SSL_new(ctx)
        #expect(ssl != nil)
        defer { SSL_free(ssl) }
        let rbio = BIO_new(BIO_s_mem())
        let wbio = BIO_new(BIO_s_mem())
        #expect(crelay_bio_set_mem_eof_return(rbio, -1) == 1)
        SSL_set_bio(ssl, rbio, wbio)
        SSL_set_options(ssl, UInt64(crelay_ssl_op_no_query_mtu()))
        #expect(crelay_ssl_set_mtu(ssl, 1200) == 1200)
        SSL_set_accept_state(ssl)
        // No data yet: the handshake wants to read, and no timer runs.
        #expect(SSL_do_handshake(ssl) == -1)
        #expect(SSL_get_error(ssl, -1) == SSL_ERROR_WANT_READ)
        #expect(crelay_bio_ctrl_pending(wbio) == 0)
        ERR_clear_error()
    }
}
