import COpenSSL

/// ChaCha20-Poly1305 (RFC 8439) through OpenSSL's EVP interface, with one reusable cipher
/// context so sealing and opening do not allocate. Not thread-safe: one per thread.
///
/// The cipher is bound to the context only when the direction changes (first use, seal after
/// open or open after seal, or after a failure): passing `EVP_chacha20_poly1305()` to
/// `EVP_*Init_ex` on every call makes OpenSSL 3 free and re-create the provider context, two
/// mallocs per call. Re-keying with a NULL cipher reuses it (and resets the AEAD state).
public final class ChaChaPolyAEAD {
    /// Key, nonce and tag sizes in bytes.
    public static let keyBytes = 32
    public static let nonceBytes = 12
    public static let tagBytes = 16

    private let ctx: OpaquePointer
    /// Direction the cipher is bound for in `ctx`; nil: not bound (or unknown after a failure).
    private var boundForEncryption: Bool?

    public init() throws(TokenError) {
        guard let c = EVP_CIPHER_CTX_new() else { throw .cryptoFailure }
        ctx = c
    }

    deinit { EVP_CIPHER_CTX_free(ctx) }

    /// Encrypts `plaintext` into `out` (same length) and writes the 16-byte tag to `tag`.
    public func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, ad: UnsafeRawBufferPointer,
                     plaintext: UnsafeRawBufferPointer, out: UnsafeMutableRawBufferPointer,
                     tag: UnsafeMutableRawBufferPointer) throws(TokenError) {
        guard key.count == Self.keyBytes, nonce.count == Self.nonceBytes, tag.count == Self.tagBytes,
              out.count >= plaintext.count else { throw .cryptoFailure }
        var len: Int32 = 0
        boundForEncryption = nil // until this call succeeds
        guard EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nil, nil, nil) == 1,
              crelay_evp_aead_set_ivlen(ctx, Int32(Self.nonceBytes)) == 1,
              EVP_EncryptInit_ex(ctx, nil, nil, key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                 nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
        else { ERR_clear_error(); throw .cryptoFailure }
        if ad.count > 0 {
            guard EVP_EncryptUpdate(ctx, nil, &len, ad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ad.count)) == 1
            else { ERR_clear_error(); throw .cryptoFailure }
        }
        var total: Int32 = 0
        if plaintext.count > 0 {
            guard EVP_EncryptUpdate(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &len,
                                    plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(plaintext.count)) == 1
            else { ERR_clear_error(); throw .cryptoFailure }
            total = len
        }
        guard EVP_EncryptFinal_ex(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self) + Int(total), &len) == 1,
              crelay_evp_aead_get_tag(ctx, Int32(Self.tagBytes), tag.baseAddress) == 1
        else { ERR_clear_error(); throw .cryptoFailure }
    }

    /// Decrypts `ciphertext` into `out` and verifies `tag`; throws ``TokenError/authenticationFailed``
    /// when the tag does not verify (then `out` must not be used).
    public func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, ad: UnsafeRawBufferPointer,
                     ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                     out: UnsafeMutableRawBufferPointer) throws(TokenError) {
        guard key.count == Self.keyBytes, nonce.count == Self.nonceBytes, tag.count == Self.tagBytes,
              out.count >= ciphertext.count else { throw .cryptoFailure }
        var len: Int32 = 0
        let bound = boundForEncryption == false
        boundForEncryption = nil // until this call succeeds
        if !bound {
            guard EVP_DecryptInit_ex(ctx, EVP_chacha20_poly1305(), nil, nil, nil) == 1,
                  crelay_evp_aead_set_ivlen(ctx, Int32(Self.nonceBytes)) == 1
            else { ERR_clear_error(); throw .cryptoFailure }
        }
        guard EVP_DecryptInit_ex(ctx, nil, nil, key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                 nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 1
        else { ERR_clear_error(); throw .cryptoFailure }
        if ad.count > 0 {
            guard EVP_DecryptUpdate(ctx, nil, &len, ad.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ad.count)) == 1
            else { ERR_clear_error(); throw .cryptoFailure }
        }
        var total: Int32 = 0
        if ciphertext.count > 0 {
            guard EVP_DecryptUpdate(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &len,
                                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(ciphertext.count)) == 1
            else { ERR_clear_error(); throw .cryptoFailure }
            total = len
        }
        guard crelay_evp_aead_set_tag(ctx, Int32(Self.tagBytes), UnsafeMutableRawPointer(mutating: tag.baseAddress)) == 1
        else { ERR_clear_error(); throw .cryptoFailure }
        guard EVP_DecryptFinal_ex(ctx, out.baseAddress!.assumingMemoryBound(to: UInt8.self) + Int(total), &len) == 1 else {
            ERR_clear_error()
            boundForEncryption = false // the token's fault, not the context's: still bound for decryption
            throw .authenticationFailed
        }
        boundForEncryption = false
    }
}

/// Cryptographically secure random bytes from OpenSSL.
public func secureRandomBytes(_ n: Int) throws(TokenError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: n)
    let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(n)) }
    guard ok == 1 else { throw .cryptoFailure }
    return out
}
