import KKRedis

/// Names of the Redis keys the match service touches (docs/REDIS-KEYS.md), under a
/// configurable prefix: `kk:` in production, a random `kkt<n>:` per test run so suites sharing
/// one redis-server never see each other's matches. On a Redis Cluster (``cluster``) the
/// directory keys share one hash tag and each match's owner and epoch are tagged by the match
/// (``RedisKeyspace``).
public struct MatchKeys: Sendable, Equatable {
    public let space: RedisKeyspace
    /// Prepended to every key and to the events channel; ends with `:`.
    public var prefix: String { space.prefix }
    /// Prepended to every directory key (the scripts build match keys from it).
    public var shared: String { space.shared }

    public init(prefix: String = "kk:", cluster: Bool = false) { space = RedisKeyspace(prefix: prefix, cluster: cluster) }

    public var shards: String { space.dir("shards") }
    public var relays: String { space.dir("relays") }
    public var events: String { space.dir("events") }
    public var matchSeq: String { space.dir("match:seq") }
    public var openMatches: String { space.dir("matches:open") }
    public var activeMatches: String { space.dir("matches:active") }
    public func shard(_ sid: String) -> String { space.dir("shard:" + sid) }
    public func shardPending(_ sid: String) -> String { space.dir("shard:" + sid + ":pending") }
    public func relay(_ rid: String) -> String { space.dir("relay:" + rid) }
    public func match(_ mid: UInt64) -> String { space.dir("match:\(mid)") }
    public func matchPlayers(_ mid: UInt64) -> String { match(mid) + ":players" }
    public func playerMatch(_ pid: UInt64) -> String { space.dir("player:\(pid):match") }
    /// The owner lease and epoch: the match's runtime keys (its own slot on a cluster).
    public func matchOwner(_ mid: UInt64) -> String { space.match(mid, "owner") }
    public func matchEpoch(_ mid: UInt64) -> String { space.match(mid, "epoch") }
}
