import KKWire

/// Settings of one relay process (flags / Config/relay.json).
public struct RelayConfig: Sendable, Codable, Equatable {
    public var listenHost: String = "127.0.0.1"
    public var listenPort: UInt16 = 7777
    /// Relay processes sharing the port (SO_REUSEPORT); 0 = one per core.
    public var workers: Int = 1
    public var adminHost: String = "127.0.0.1"
    public var adminPort: UInt16 = 7780
    /// Token sealing keys, 64 hex chars each: current first, then the previous (rotation).
    public var tokenKeysHex: [String] = []
    /// Cookie secret shared by all workers of a POP (64 hex chars).
    public var cookieSecretHex: String = ""
    public var maxSessions: Int = 10_000
    /// Handshakes in progress at once (covers half-open sessions from a wrong key).
    public var maxConcurrentHandshakes: Int = 1_000
    /// A handshake not finished within this is dropped.
    public var handshakeTimeoutMillis: UInt64 = 10_000
    public var idleTimeoutMillis: UInt64 = 10_000
    /// Per source address: datagrams per second (burst = 1 s worth).
    public var packetsPerSecondPerAddress: Double = 400
    /// Per source address: new handshakes per second.
    public var handshakesPerSecondPerAddress: Double = 4
    /// Downstream cap per client.
    public var maxClientBytesPerSecond: Double = 64_000
    public var redisHost: String = "127.0.0.1"
    public var redisPort: Int = 6379
    /// `redisHost:redisPort` is a node of a Redis Cluster: keys are hash-tagged
    /// (`KKRedis.RedisKeyspace`) and commands routed by slot. Off: one Redis (the default).
    public var redisCluster: Bool = false
    /// After a drain request, sessions keep playing until their match ends or this deadline.
    public var drainDeadlineMillis: UInt64 = 60_000
    /// Anycast POPs: this long after a drain starts (time for the health check to withdraw the
    /// route), every session is told to move (`relayDraining`) and resumes at the same address,
    /// which another POP now answers. nil: sessions play on until their match ends.
    public var drainMoveAfterMillis: UInt64?
    /// A match whose registered shard cannot be reached this long (and was not adopted by another
    /// shard meanwhile) has its waiting joins refused with "the game server is unavailable".
    public var shardUnreachableMillis: UInt64 = 6_000
    /// TTL of the relay's registration in Redis (refreshed every second).
    public var registrationTTLMillis: UInt64 = 3_000
    /// Resume tickets' validity; playing clients get a fresh one every quarter of it.
    public var resumeTicketSeconds: UInt64 = 120
    public var protocolId: UInt32 = Limits.defaultProtocolId

    public init() {}

    public func validate() -> [String] {
        var p: [String] = []
        if tokenKeysHex.isEmpty { p.append("at least one token key is required (tokenKeysHex / --token-key)") }
        for k in tokenKeysHex where k.utf8.count != 64 { p.append("token key must be 64 hex characters") }
        if cookieSecretHex.utf8.count != 64 { p.append("cookie secret must be 64 hex characters") }
        if maxSessions < 1 { p.append("maxSessions must be >= 1") }
        if maxConcurrentHandshakes < 1 { p.append("maxConcurrentHandshakes must be >= 1") }
        if workers < 0 || workers > 64 { p.append("workers must be 0...64") }
        if idleTimeoutMillis < 1000 { p.append("idleTimeoutMillis must be >= 1000") }
        if shardUnreachableMillis < 500 { p.append("shardUnreachableMillis must be >= 500") }
        if registrationTTLMillis < 1500 { p.append("registrationTTLMillis must be >= 1500 (it is refreshed every second)") }
        if resumeTicketSeconds < 4 { p.append("resumeTicketSeconds must be >= 4 (tickets are renewed every quarter of it, at most once a second)") }
        return p
    }
}
