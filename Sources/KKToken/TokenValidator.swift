import KKWire

/// Opens and checks sealed tokens offline, as a relay does inside the DTLS PSK callback.
///
/// Checks, cheapest first: length, encoding, version, protocol id, expiry, key id, then the
/// AEAD tag. Holds the current key and optionally the previous one (rotation). Reuses its
/// buffers and cipher context: no allocation per validation; one validator per thread.
public final class TokenValidator {
    public let protocolId: UInt32
    private let keys: [TokenKey]
    private let aead: ChaChaPolyAEAD
    private let sealed: UnsafeMutableRawBufferPointer
    private let plain: UnsafeMutableRawBufferPointer

    public init(keys: [TokenKey], protocolId: UInt32 = Limits.defaultProtocolId) throws(TokenError) {
        guard !keys.isEmpty else { throw .unknownKey }
        self.keys = keys
        self.protocolId = protocolId
        self.aead = try ChaChaPolyAEAD()
        sealed = .allocate(byteCount: SealedTokenLayout.sealedBytes + 4, alignment: 8)
        plain = .allocate(byteCount: SealedTokenLayout.privateBytes, alignment: 8)
    }

    deinit {
        sealed.deallocate()
        plain.initializeMemory(as: UInt8.self, repeating: 0)
        plain.deallocate()
    }

    /// Validates base64url token text (a PSK identity) at unix time `now`.
    public func validate(text: UnsafeRawBufferPointer, now: UInt64) throws(TokenError) -> PrivateToken {
        if text.count < SealedTokenLayout.textBytes { throw .truncated }
        if text.count > SealedTokenLayout.textBytes { throw .oversized }
        let n = try Base64URL.decode(text, into: sealed)
        return try validate(sealed: UnsafeRawBufferPointer(rebasing: sealed[0..<n]), now: now)
    }

    /// Validates token text given as a String (cold paths, tests).
    public func validate(text: String, now: UInt64) throws(TokenError) -> PrivateToken {
        var s = text
        let result: Result<PrivateToken, TokenError> = s.withUTF8 { u in
            do throws(TokenError) { return .success(try validate(text: UnsafeRawBufferPointer(u), now: now)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Validates the binary sealed form.
    public func validate(sealed bytes: UnsafeRawBufferPointer, now: UInt64) throws(TokenError) -> PrivateToken {
        if bytes.count < SealedTokenLayout.sealedBytes { throw .truncated }
        if bytes.count > SealedTokenLayout.sealedBytes { throw .oversized }
        var r = WireReader(bytes)
        let version: UInt8, proto: UInt32, expire: UInt64, keyId: UInt32
        do throws(WireError) {
            version = try r.readUInt8()
            proto = try r.readUInt32()
            expire = try r.readUInt64()
            keyId = try r.readUInt32()
        } catch { throw .truncated }
        guard version == SealedTokenLayout.version else { throw .wrongVersion }
        guard proto == protocolId else { throw .wrongProtocol }
        guard now < expire else { throw .expired }
        guard let key = keys.first(where: { $0.keyId == keyId }) else { throw .unknownKey }
        let h = SealedTokenLayout.headerBytes
        let c = SealedTokenLayout.privateBytes
        let opened: Result<Void, TokenError> = key.bytes.withUnsafeBytes { k in
            do throws(TokenError) {
                try aead.open(key: k, nonce: UnsafeRawBufferPointer(rebasing: bytes[17..<h]),
                              ad: UnsafeRawBufferPointer(rebasing: bytes[0..<h]),
                              ciphertext: UnsafeRawBufferPointer(rebasing: bytes[h..<(h + c)]),
                              tag: UnsafeRawBufferPointer(rebasing: bytes[(h + c)...]), out: plain)
                return .success(())
            } catch { return .failure(error) }
        }
        try opened.get()
        var pr = WireReader(UnsafeRawBufferPointer(plain))
        let token: PrivateToken
        do throws(WireError) { token = try SealedTokenLayout.readPrivate(&pr, expireTime: expire) } catch { throw .invalidContent }
        guard token.createTime < token.expireTime else { throw .invalidContent }
        guard token.createTime <= now + SealedTokenLayout.allowedSkewSeconds else { throw .notYetValid }
        return token
    }
}
