/// What the match service hands a player (over HTTPS): the public part of a netcode.io-style
/// connect token. The client uses `clientKey` as its DTLS pre-shared key and `sealed` (opaque
/// base64url text) as its PSK identity; any relay in `relays` can check it offline.
public struct ConnectToken: Codable, Equatable, Sendable {
    public var protocolId: UInt32
    public var playerId: UInt64
    public var matchId: UInt64
    /// Unix seconds.
    public var createTime: UInt64
    public var expireTime: UInt64
    /// Seconds without traffic after which a relay drops the session.
    public var timeoutSeconds: UInt32
    /// The per-client key, base64url (32 bytes).
    public var clientKey: String
    /// The sealed private part, base64url: the DTLS PSK identity.
    public var sealed: String
    /// Relay addresses ("host:port"), nearest first.
    public var relays: [String]

    public init(protocolId: UInt32, playerId: UInt64, matchId: UInt64, createTime: UInt64, expireTime: UInt64,
                timeoutSeconds: UInt32, clientKey: String, sealed: String, relays: [String]) {
        self.protocolId = protocolId
        self.playerId = playerId
        self.matchId = matchId
        self.createTime = createTime
        self.expireTime = expireTime
        self.timeoutSeconds = timeoutSeconds
        self.clientKey = clientKey
        self.sealed = sealed
        self.relays = relays
    }

    /// The client key bytes.
    public func clientKeyBytes() throws(TokenError) -> [UInt8] {
        let k = try Base64URL.decode(clientKey)
        guard k.count == 32 else { throw .invalidContent }
        return k
    }
}
