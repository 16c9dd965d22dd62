import KKRedis
import KKRelayCore

/// The relay's own entry in Redis: the hash `<prefix>relay:<id>` (address, admin, sessions,
/// draining) kept alive by a TTL refreshed every second, membership of `<prefix>relays`, and
/// the number of registered shards (readiness needs one). Loop-thread only.
final class RelayRegistration {
    private let redis: RedisClient
    private let prefix: String
    let relayId: String
    private let ttlMillis: UInt64
    /// The last refresh was accepted.
    private(set) var registered = false
    /// Shards registered in Redis at the last refresh.
    private(set) var knownShards = 0
    /// ``deregister(then:)`` ran: no refresh may write the entry again.
    private var removed = false

    init(redis: RedisClient, prefix: String, relayId: String, ttlMillis: UInt64) {
        self.redis = redis
        self.prefix = prefix
        self.relayId = relayId
        self.ttlMillis = ttlMillis
    }

    private var key: RedisArg { .string(prefix + "relay:" + relayId) }

    /// Writes the entry again (and its TTL); reads the shard count.
    func refresh(address: String, admin: String, sessions: Int, draining: Bool) {
        guard redis.isConnected, !removed else { return }
        redis.command(["HSET", key, "addr", .string(address), "admin", .string(admin),
                       "sessions", .int(Int64(sessions)), "draining", .int(draining ? 1 : 0)]) { [unowned self] r in
            registered = !r.isError
        }
        redis.command(["PEXPIRE", key, .int(Int64(ttlMillis))]) { _ in }
        redis.command(["SADD", .string(prefix + "relays"), .string(relayId)]) { _ in }
        redis.command(["SCARD", .string(prefix + "shards")]) { [unowned self] r in
            if case .integer(let n) = r { knownShards = Int(n) }
        }
    }

    /// Redis went away: not registered until the next accepted refresh.
    func lost() {
        registered = false
        knownShards = 0
    }

    /// Removes the entry; `then` runs when Redis answered (at once when it is unreachable).
    /// Later refreshes (a reconnection meanwhile) write nothing.
    func deregister(then: @escaping () -> Void) {
        removed = true
        guard redis.isConnected else { then(); return }
        redis.command(["DEL", key]) { _ in }
        redis.command(["SREM", .string(prefix + "relays"), .string(relayId)]) { _ in then() }
    }
}
