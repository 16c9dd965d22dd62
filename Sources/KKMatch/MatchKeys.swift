/// Names of the Redis keys the match service touches (docs/REDIS-KEYS.md), under a
/// configurable prefix: `kk:` in production, a random `kkt<n>:` per test run so suites sharing
/// one redis-server never see each other's matches.
public struct MatchKeys: Sendable, Equatable {
    /// Prepended to every key and to the events channel; ends with `:`.
    public let prefix: String

    public init(prefix: String = "kk:") { self.prefix = prefix }

    public var shards: String { prefix + "shards" }
    public var relays: String { prefix + "relays" }
    public var events: String { prefix + "events" }
    public var matchSeq: String { prefix + "match:seq" }
    public var openMatches: String { prefix + "matches:open" }
    public var activeMatches: String { prefix + "matches:active" }
    public func shard(_ sid: String) -> String { prefix + "shard:" + sid }
    public func shardPending(_ sid: String) -> String { prefix + "shard:" + sid + ":pending" }
    public func relay(_ rid: String) -> String { prefix + "relay:" + rid }
    public func match(_ mid: UInt64) -> String { prefix + "match:\(mid)" }
    public func matchOwner(_ mid: UInt64) -> String { match(mid) + ":owner" }
    public func matchEpoch(_ mid: UInt64) -> String { match(mid) + ":epoch" }
    public func matchPlayers(_ mid: UInt64) -> String { match(mid) + ":players" }
    public func playerMatch(_ pid: UInt64) -> String { prefix + "player:\(pid):match" }
}
