/// Where the system's keys live (docs/REDIS-KEYS.md). Two groups:
///
/// - the **directory**: shards, relays, allocation (matches, their seats, players' pointers),
///   the lobby, ratings, the results and telemetry streams, and the pub/sub channels; small and
///   written at human rates. Multi-key scripts combine them freely.
/// - each **match's runtime**: its owner lease, fencing epoch, snapshot and input log; renewed and
///   written every few ticks for every running match: the bulk of the writes and bytes.
///
/// On one Redis (the default) the names are `<prefix>shards`, `<prefix>match:42:owner`, as they
/// always were. On a Redis Cluster (``cluster``) the directory is hash-tagged as one
/// (`{<prefix>}shards`: one slot, so its scripts stay atomic) and each match's runtime keys by the
/// match (`<prefix>match:{42}:owner`: its own slot, spread over the primaries). No script touches
/// both groups.
public struct RedisKeyspace: Sendable, Equatable {
    /// Ends with `:` (`kk:`; tests use a random `kkt<n>:`).
    public let prefix: String
    /// Hash-tag the keys for a Redis Cluster.
    public let cluster: Bool

    public init(prefix: String = "kk:", cluster: Bool = false) {
        self.prefix = prefix
        self.cluster = cluster
    }

    /// Prepended to every directory key and channel name.
    public var shared: String { cluster ? "{" + prefix + "}" : prefix }

    /// A directory key (or channel): `shared + name`.
    public func dir(_ name: String) -> String { shared + name }

    /// One of a match's runtime keys: `owner`, `epoch`, `snap`, `log`.
    public func match(_ mid: UInt64, _ part: String) -> String {
        cluster ? prefix + "match:{\(mid)}:" + part : prefix + "match:\(mid):" + part
    }
}
