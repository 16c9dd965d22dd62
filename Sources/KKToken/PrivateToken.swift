import KKWire

/// What a sealed token proves once opened: this player may play this match until `expireTime`,
/// and shares `clientKey` (the DTLS pre-shared key) with the client.
public struct PrivateToken: Equatable, Sendable {
    /// A connect token from the match service, or a resume ticket a relay issued in-session.
    public enum Kind: UInt8, Sendable { case connect = 0, resumeTicket = 1 }

    public var playerId: UInt64
    public var matchId: UInt64
    /// Unix seconds.
    public var createTime: UInt64
    /// Unix seconds; also in the sealed header (authenticated data) so it is checked before decryption.
    public var expireTime: UInt64
    public var kind: Kind
    /// The per-client 32-byte key (DTLS PSK). Fixed storage: no allocation when opened.
    public var clientKey: InlineArray<32, UInt8>

    public init(playerId: UInt64, matchId: UInt64, createTime: UInt64, expireTime: UInt64,
                kind: Kind, clientKey: [UInt8]) {
        self.playerId = playerId
        self.matchId = matchId
        self.createTime = createTime
        self.expireTime = expireTime
        self.kind = kind
        self.clientKey = InlineArray(repeating: 0)
        for i in 0..<min(32, clientKey.count) { self.clientKey[i] = clientKey[i] }
    }

    /// The client key as an array (cold paths).
    public var clientKeyBytes: [UInt8] { (0..<32).map { clientKey[$0] } }

    public static func == (a: PrivateToken, b: PrivateToken) -> Bool {
        a.playerId == b.playerId && a.matchId == b.matchId && a.createTime == b.createTime
            && a.expireTime == b.expireTime && a.kind == b.kind && a.clientKeyBytes == b.clientKeyBytes
    }
}

/// Byte layout of a sealed token (see docs/PROTOCOL.md, "Connect token"):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | version (1) |
/// | 1 | 4 | protocol id, LE |
/// | 5 | 8 | expire time, unix s, LE |
/// | 13 | 4 | key id, LE |
/// | 17 | 12 | nonce |
/// | 29 | 57 | ciphertext of the private part |
/// | 86 | 16 | Poly1305 tag |
///
/// Bytes 0..<29 are the AEAD's associated data. Private part (plaintext): player id u64,
/// match id u64, create time u64, kind u8, client key 32 bytes.
public enum SealedTokenLayout {
    public static let version: UInt8 = 1
    public static let headerBytes = 29
    public static let privateBytes = 8 + 8 + 8 + 1 + 32
    public static let sealedBytes = headerBytes + privateBytes + ChaChaPolyAEAD.tagBytes
    /// Length of the base64url text (the PSK identity): 136 characters, under OpenSSL's 256.
    public static let textBytes = (sealedBytes * 4 + 2) / 3
    /// Clock skew tolerated for `createTime` in the future, seconds.
    public static let allowedSkewSeconds: UInt64 = 30

    static func writePrivate(_ t: PrivateToken, into w: inout WireWriter) throws(WireError) {
        try w.writeUInt64(t.playerId)
        try w.writeUInt64(t.matchId)
        try w.writeUInt64(t.createTime)
        try w.writeUInt8(t.kind.rawValue)
        for i in 0..<32 { try w.writeUInt8(t.clientKey[i]) }
    }

    static func readPrivate(_ r: inout WireReader, expireTime: UInt64) throws(WireError) -> PrivateToken {
        let player = try r.readUInt64()
        let match = try r.readUInt64()
        let create = try r.readUInt64()
        guard let kind = PrivateToken.Kind(rawValue: try r.readUInt8()) else { throw .invalidField }
        var t = PrivateToken(playerId: player, matchId: match, createTime: create, expireTime: expireTime,
                             kind: kind, clientKey: [])
        for i in 0..<32 { t.clientKey[i] = try r.readUInt8() }
        return t
    }
}
