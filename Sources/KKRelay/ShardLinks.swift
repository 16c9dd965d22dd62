import KKENet
import KKLoop
import KKRedis
import KKRelayCore
import KKWire
import Logging

/// The relay's side of its shards: one ENet link per shard, the Redis lookups of a match's
/// shard (`<prefix>match:{mid}` -> shard id -> `<prefix>shard:{sid}` addr) and the cluster event
/// channel. It carries out the core's `.lookUpRoute`, `.connectShard` and `.shard` entries and
/// reports results back into the ``RelayCore``; after each batch of results it calls
/// `afterResults` so the server sends what the core queued. Loop-thread only.
final class ShardLinks {
    let endpoint: ENetEndpoint
    private let redis: RedisClient
    private let events: RedisSubscriber
    private let prefix: String
    private let logger: Logger
    private let core: RelayCore
    private let nowMillis: () -> UInt64
    private var peers: [ShardID: ENetPeerHandle] = [:]
    private var shardOfPeer: [ENetPeerHandle: ShardID] = [:]
    /// Runs after results were fed to the core (the server drains its outbound queue).
    var afterResults: () -> Void = {}

    init(endpoint: ENetEndpoint, redis: RedisClient, events: RedisSubscriber, prefix: String, logger: Logger,
         core: RelayCore, nowMillis: @escaping () -> UInt64) {
        self.endpoint = endpoint
        self.redis = redis
        self.events = events
        self.prefix = prefix
        self.logger = logger
        self.core = core
        self.nowMillis = nowMillis
    }

    func start() {
        endpoint.start(afterEvents: { [unowned self] in afterResults() }) { [unowned self] e in handle(e) }
        events.subscribe(prefix + "events") { [unowned self] message in
            guard let event = ClusterEvent(parsing: message) else { core.counters.badClusterEvents += 1; return }
            core.clusterEvent(event)
            afterResults()
        }
    }

    /// Sends one of the core's packets to `shard`; false when no link is up (counted by the caller).
    func send(_ bytes: ArraySlice<UInt8>, to shard: ShardID, reliable: Bool) -> Bool {
        guard let peer = peers[shard] else { return false }
        return endpoint.send(bytes, to: peer, reliable: reliable)
    }

    /// Looks up the shard of `matchId` in Redis and reports it with ``RelayCore/routeLookedUp(matchId:_:nowMillis:)``.
    func lookUp(_ matchId: UInt64) {
        redis.command(["HGET", .string(prefix + "match:\(matchId)"), "shard"]) { [unowned self] r in
            guard let sid = r.text else {
                report(matchId, r.isError ? .failed : .noSuchMatch)
                return
            }
            redis.command(["HGET", .string(prefix + "shard:\(sid)"), "addr"]) { [unowned self] a in
                report(matchId, a.text.map { .found(sid, address: $0) } ?? .failed)
            }
        }
    }

    private func report(_ matchId: UInt64, _ result: RouteLookup) {
        core.routeLookedUp(matchId: matchId, result, nowMillis: nowMillis())
        afterResults()
    }

    /// Opens a link to `shard` (replacing one to an older address); the core hears when it is up.
    func connect(_ shard: ShardID, host: String, port: UInt16) {
        if let old = peers.removeValue(forKey: shard) {
            shardOfPeer[old] = nil
            endpoint.disconnect(old)
        }
        do {
            let peer = try endpoint.connect(host: host, port: port)
            peers[shard] = peer
            shardOfPeer[peer] = shard
            logger.info("connecting to shard", metadata: ["shard": "\(shard)", "addr": "\(host):\(port)"])
        } catch {
            logger.warning("cannot connect to shard \(shard) at \(host):\(port): \(error)")
            core.shardLinkDown(shard, nowMillis: nowMillis())
        }
    }

    private func handle(_ e: ENetEvent) {
        switch e {
        case .connected(let peer, _):
            guard let sid = shardOfPeer[peer] else { return }
            logger.info("shard link up", metadata: ["shard": "\(sid)"])
            core.shardLinkUp(sid)
        case .disconnected(let peer):
            guard let sid = shardOfPeer.removeValue(forKey: peer) else { return }
            peers[sid] = nil
            // The core knows whether the link had come up: "down" after play, "unreachable" before.
            let wasUp = core.shardLinkDown(sid, nowMillis: nowMillis())
            logger.warning(wasUp ? "shard link down" : "shard unreachable", metadata: ["shard": "\(sid)"])
        case .received(let peer, _, let bytes):
            if let sid = shardOfPeer[peer] { core.shardPacket(from: sid, bytes, nowMillis: nowMillis()) }
        }
    }

    /// Sends what ENet queued.
    func flush() { endpoint.flush() }

    func close() {
        endpoint.flush()
        endpoint.close()
    }
}
