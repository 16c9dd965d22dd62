import KKENet
import KKLoop
import KKRedis
import KKWire
import Logging

/// Finds the shard of a match through Redis (`kk:match:{mid}` -> shard id -> `kk:shard:{sid}`
/// addr), keeps one ENet connection per shard, caches match routes and drops them when the
/// `kk:events` channel says a match moved or a shard left. Loop-thread only.
final class ShardDirectory {
    struct Link {
        var peer: ENetPeerHandle?
        var address: String
        var connected = false
    }

    let endpoint: ENetEndpoint
    let redis: RedisClient
    let events: RedisSubscriber
    let prefix: String
    let logger: Logger
    private(set) var links: [String: Link] = [:]
    private var shardOfPeer: [ENetPeerHandle: String] = [:]
    private(set) var routes: [UInt64: String] = [:]
    private var lookups: Set<UInt64> = []
    /// Matches to look up again on the next ``retryPending()`` (Redis error, shard not
    /// registered, shard link lost).
    private var pending: Set<UInt64> = []
    /// Resolution of a match route (shard id or nil = not found).
    var onResolved: (UInt64, String?) -> Void = { _, _ in }
    /// The match's shard is registered but could not be reached for ``unreachableAfterMillis``.
    var onUnreachable: (UInt64) -> Void = { _ in }
    /// How long a match may stay unresolvable (Redis errors, shard not registered, shard not
    /// reachable) before waiting joins are refused (longer than an ownership lease, so an
    /// adoption can happen first).
    let unreachableAfterMillis: UInt64
    /// Since when (loop ms) each pending match has failed to resolve.
    private var unreachableSince: [UInt64: UInt64] = [:]
    /// A shard link went down.
    var onLinkDown: (String) -> Void = { _ in }
    /// A match moved to another shard (adoption).
    var onMatchMoved: (UInt64) -> Void = { _ in }
    /// A match ended (its shard removed it).
    var onMatchOver: (UInt64) -> Void = { _ in }
    /// Packets from shards.
    var onPacket: (String, UnsafeRawBufferPointer) -> Void = { _, _ in }
    var lookupFailures = 0

    /// Loop time in milliseconds.
    let nowMillis: () -> UInt64

    init(endpoint: ENetEndpoint, redis: RedisClient, events: RedisSubscriber, prefix: String, logger: Logger,
         unreachableAfterMillis: UInt64, nowMillis: @escaping () -> UInt64) {
        self.unreachableAfterMillis = unreachableAfterMillis
        self.nowMillis = nowMillis
        self.endpoint = endpoint
        self.redis = redis
        self.events = events
        self.prefix = prefix
        self.logger = logger
    }

    func start() {
        endpoint.start { [unowned self] e in self.handle(e) }
        events.subscribe(prefix + "events") { [unowned self] m in self.event(String(decoding: m, as: UTF8.self)) }
    }

    var connectedShards: Int { links.values.filter(\.connected).count }

    /// The shard for a match if known and connected; else starts a lookup and returns nil.
    func route(_ matchId: UInt64) -> String? {
        if let sid = routes[matchId], links[sid]?.connected == true { return sid }
        lookUp(matchId)
        return nil
    }

    func send(_ bytes: UnsafeRawBufferPointer, to sid: String, reliable: Bool) -> Bool {
        guard let link = links[sid], link.connected, let peer = link.peer else { return false }
        do {
            try endpoint.send(bytes, to: peer, channel: reliable ? ENetEndpoint.controlChannel : ENetEndpoint.streamChannel,
                              reliable: reliable)
            return true
        } catch { return false }
    }

    private func lookUp(_ matchId: UInt64) {
        guard !lookups.contains(matchId) else { return }
        lookups.insert(matchId)
        redis.command(["HGET", .string(prefix + "match:\(matchId)"), "shard"]) { [unowned self] r in
            guard let sid = r.text else {
                lookups.remove(matchId)
                if r.isError { retry(matchId) } else { resolved(matchId, nil) }
                return
            }
            redis.command(["HGET", .string(prefix + "shard:\(sid)"), "addr"]) { [unowned self] a in
                lookups.remove(matchId)
                guard let addr = a.text else { retry(matchId); return }
                routes[matchId] = sid
                connect(sid, addr)
                if links[sid]?.connected == true {
                    resolved(matchId, sid)
                } else if links[sid] == nil {
                    retry(matchId)  // the address did not parse or ENet refused it
                } else {
                    pending.remove(matchId)  // connecting: the link's connected/disconnected event decides
                }
            }
        }
    }

    /// Redis down or the shard not registered (yet): try again every 250 ms; after
    /// ``unreachableAfterMillis`` the waiting joins are refused as "server unavailable".
    private func retry(_ matchId: UInt64) {
        lookupFailures += 1
        pending.insert(matchId)
        if unreachableSince[matchId] == nil { unreachableSince[matchId] = nowMillis() }
    }

    /// A lookup ended: the match is no longer pending, and the relay is told (shard id, or nil
    /// for "no such match").
    private func resolved(_ matchId: UInt64, _ sid: String?) {
        pending.remove(matchId)
        unreachableSince[matchId] = nil
        onResolved(matchId, sid)
    }

    /// Retries pending lookups (called every 250 ms); refuses matches whose shard stayed
    /// unreachable too long.
    func retryPending() {
        let now = nowMillis()
        for (mid, since) in unreachableSince where now &- since >= unreachableAfterMillis {
            unreachableSince[mid] = nil
            pending.remove(mid)
            routes[mid] = nil
            onUnreachable(mid)
        }
        for mid in pending where !lookups.contains(mid) { lookUp(mid) }
    }

    private func connect(_ sid: String, _ addr: String) {
        if let l = links[sid], l.address == addr, l.peer != nil { return }
        guard let colon = addr.lastIndex(of: ":"), let port = UInt16(addr[addr.index(after: colon)...]) else { return }
        do {
            let peer = try endpoint.connect(host: String(addr[..<colon]), port: port)
            links[sid] = Link(peer: peer, address: addr)
            shardOfPeer[peer] = sid
            logger.info("connecting to shard", metadata: ["shard": "\(sid)", "addr": "\(addr)"])
        } catch {
            logger.warning("cannot connect to shard \(sid) at \(addr): \(error)")
        }
    }

    private func handle(_ e: ENetEvent) {
        switch e {
        case .connected(let peer, _):
            guard let sid = shardOfPeer[peer] else { return }
            links[sid]?.connected = true
            logger.info("shard link up", metadata: ["shard": "\(sid)"])
            for (mid, s) in routes where s == sid { resolved(mid, sid) }
        case .disconnected(let peer):
            guard let sid = shardOfPeer.removeValue(forKey: peer) else { return }
            let wasConnected = links[sid]?.connected == true
            links[sid] = nil
            if wasConnected {
                logger.warning("shard link down", metadata: ["shard": "\(sid)"])
            } else {
                logger.warning("shard unreachable", metadata: ["shard": "\(sid)"])
            }
            let now = nowMillis()
            for (mid, s) in routes where s == sid {
                routes[mid] = nil
                pending.insert(mid)
                if !wasConnected, unreachableSince[mid] == nil { unreachableSince[mid] = now }
            }
            onLinkDown(sid)
        case .received(let peer, _, let bytes):
            if let sid = shardOfPeer[peer] { onPacket(sid, bytes) }
        }
    }

    private func event(_ text: String) {
        let parts = text.split(separator: " ")
        guard parts.count >= 2 else { return }
        switch parts[0] {
        case "owner" where parts.count == 3:
            guard let mid = UInt64(parts[1]) else { return }
            let sid = String(parts[2])
            if let old = routes[mid], old != sid {
                routes[mid] = nil
                onMatchMoved(mid)
            }
        case "over":
            guard let mid = UInt64(parts[1]) else { return }
            routes[mid] = nil
            onMatchOver(mid)
        case "leave":
            let sid = String(parts[1])
            for (mid, s) in routes where s == sid { routes[mid] = nil }
        default:
            break
        }
    }
}
