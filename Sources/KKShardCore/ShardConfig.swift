import KKWire

/// Settings of one shard process (from flags / Config/shard.json).
public struct ShardConfig: Sendable, Codable, Equatable {
    /// Unique shard id (Redis registration key).
    public var id: String = "shard-1"
    public var enetHost: String = "127.0.0.1"
    public var enetPort: UInt16 = 7300
    /// Address relays should connect to (defaults to enetHost:enetPort).
    public var advertiseAddress: String?
    public var adminPort: UInt16 = 7400
    public var maxMatches: Int = 64
    public var playersPerMatch: Int = 8
    public var track: String = "oval"
    /// A directory of `*.track` files hosted besides the built-in tracks (by content hash: an
    /// allocation naming `name@sha256` needs a track whose bytes hash to it).
    public var tracksDir: String?
    /// Laps override (nil: the track's default).
    public var laps: UInt8?
    /// Frames are sent every N ticks (3 = 20 Hz at 60 Hz).
    public var sendEveryTicks: Int = 3
    /// Authoritative state is written to Redis every N ticks.
    public var snapshotEveryTicks: Int = 30
    /// Kart positions of every match are published for the voice service every this many ms
    /// (`<prefix>positions`, pub/sub; 0: off).
    public var positionsEveryMillis: Int = 200
    /// A finished match is removed after this many ticks.
    public var lingerTicks: UInt32 = 600
    public var redisHost: String = "127.0.0.1"
    public var redisPort: Int = 6379
    /// `redisHost:redisPort` is a node of a Redis Cluster: keys are hash-tagged
    /// (`KKRedis.RedisKeyspace`) and commands routed by slot. Off: one Redis (the default).
    public var redisCluster: Bool = false
    /// Registration TTL; the heartbeat refreshes it at a third of it.
    public var registrationTTLMillis: Int = 3000
    /// Match ownership lease (fencing); renewed at a third of it.
    public var ownershipTTLMillis: Int = 3000
    /// A shard beats in Redis every 100 ms; one silent for this long is presumed dead, and the
    /// first shard to notice adopts its matches at once instead of waiting for their leases to
    /// run out (death to adoption: this plus up to 100 ms). 0: off (leases only).
    public var livenessMillis: Int = 400
    public var protocolId: UInt32 = Limits.defaultProtocolId

    public init() {}

    /// Checks values a typo could break; returns the problems.
    public func validate() -> [String] {
        var problems: [String] = []
        if id.isEmpty || id.contains(" ") { problems.append("id must be non-empty without spaces") }
        if maxMatches < 1 { problems.append("maxMatches must be >= 1") }
        if playersPerMatch < 1 || playersPerMatch > Limits.maxPlayersPerMatch { problems.append("playersPerMatch must be 1...\(Limits.maxPlayersPerMatch)") }
        if sendEveryTicks < 1 { problems.append("sendEveryTicks must be >= 1") }
        if snapshotEveryTicks < 1 { problems.append("snapshotEveryTicks must be >= 1") }
        if livenessMillis != 0 && livenessMillis < 200 { problems.append("livenessMillis must be 0 (off) or >= 200") }
        if positionsEveryMillis < 0 || positionsEveryMillis > 60_000 { problems.append("positionsEveryMillis must be 0...60000") }
        if registrationTTLMillis < 300 { problems.append("registrationTTLMillis must be >= 300") }
        if ownershipTTLMillis < 300 { problems.append("ownershipTTLMillis must be >= 300") }
        return problems
    }
}
