import KKWire

/// Seals tokens: used by the match service (connect tokens) and by relays (resume tickets).
/// Holds one reusable cipher context: use one issuer per thread.
public final class TokenIssuer {
    public let key: TokenKey
    public let protocolId: UInt32
    private let aead: ChaChaPolyAEAD

    public init(key: TokenKey, protocolId: UInt32 = Limits.defaultProtocolId) throws(TokenError) {
        self.key = key
        self.protocolId = protocolId
        self.aead = try ChaChaPolyAEAD()
    }

    /// Seals `token` with a fresh random nonce; returns the binary sealed form.
    public func seal(_ token: PrivateToken) throws(TokenError) -> [UInt8] {
        try seal(token, nonce: secureRandomBytes(ChaChaPolyAEAD.nonceBytes))
    }

    /// Seals with a given nonce (known-answer tests only: never reuse a nonce with one key).
    public func seal(_ token: PrivateToken, nonce: [UInt8]) throws(TokenError) -> [UInt8] {
        guard nonce.count == ChaChaPolyAEAD.nonceBytes, token.expireTime > token.createTime else { throw .invalidContent }
        var plain: [UInt8]
        var header: [UInt8]
        do throws(WireError) {
            header = try WireWriter.bytes(capacity: SealedTokenLayout.headerBytes) { (w) throws(WireError) in
                try w.writeUInt8(SealedTokenLayout.version)
                try w.writeUInt32(protocolId)
                try w.writeUInt64(token.expireTime)
                try w.writeUInt32(key.keyId)
                try w.writeBytes(nonce)
            }
            plain = try WireWriter.bytes(capacity: SealedTokenLayout.privateBytes) { (w) throws(WireError) in
                try SealedTokenLayout.writePrivate(token, into: &w)
            }
        } catch { throw .invalidContent }
        var cipher = [UInt8](repeating: 0, count: plain.count)
        var tag = [UInt8](repeating: 0, count: ChaChaPolyAEAD.tagBytes)
        let result: Result<Void, TokenError> = key.bytes.withUnsafeBytes { k in
            nonce.withUnsafeBytes { n in
                header.withUnsafeBytes { ad in
                    plain.withUnsafeBytes { p in
                        cipher.withUnsafeMutableBytes { c in
                            tag.withUnsafeMutableBytes { t in
                                do throws(TokenError) {
                                    try aead.seal(key: k, nonce: n, ad: ad, plaintext: p, out: c, tag: t)
                                    return .success(())
                                } catch { return .failure(error) }
                            }
                        }
                    }
                }
            }
        }
        try result.get()
        for i in plain.indices { plain[i] = 0 }
        return header + cipher + tag
    }

    /// Issues a connect token for a player of a match, valid `validSeconds` from `now`.
    public func issue(playerId: UInt64, matchId: UInt64, now: UInt64, validSeconds: UInt64,
                      timeoutSeconds: UInt32 = 10, relays: [String]) throws(TokenError) -> ConnectToken {
        let clientKey = try secureRandomBytes(32)
        let priv = PrivateToken(playerId: playerId, matchId: matchId, createTime: now,
                                expireTime: now + validSeconds, kind: .connect, clientKey: clientKey)
        let sealed = try seal(priv)
        return ConnectToken(protocolId: protocolId, playerId: playerId, matchId: matchId, createTime: now,
                            expireTime: now + validSeconds, timeoutSeconds: timeoutSeconds,
                            clientKey: Base64URL.encode(clientKey), sealed: Base64URL.encode(sealed), relays: relays)
    }

    /// Issues a resume ticket: the same player, match and client key, a new validity window.
    public func resumeTicket(for token: PrivateToken, now: UInt64, validSeconds: UInt64) throws(TokenError) -> String {
        var t = token
        t.kind = .resumeTicket
        t.createTime = now
        t.expireTime = now + validSeconds
        return Base64URL.encode(try seal(t))
    }
}
