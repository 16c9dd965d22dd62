import KKWire

/// Which shard hosts each match, and which shard links are up: the relay's route table. Pure
/// state; the clock is passed in. Redis lookups and ENet links are the I/O layer's, asked for
/// through the outbound queue (``RelayTarget/lookUpRoute(matchId:)``,
/// ``RelayTarget/connectShard(_:host:port:)``) and answered through the core's methods.
struct ShardRoutes {
    struct Link {
        var host: String
        var port: UInt16
        var connected = false
    }

    /// Match -> shard, as Redis said (the link may still be connecting).
    var byMatch: [UInt64: ShardID] = [:]
    var links: [ShardID: Link] = [:]
    /// Lookups in flight.
    var lookups: Set<UInt64> = []
    /// Matches to look up again at the next housekeeping (Redis error, shard not registered,
    /// shard link lost).
    var pending: Set<UInt64> = []
    /// Since when (loop ms) each pending match has failed to resolve.
    var unreachableSince: [UInt64: UInt64] = [:]
}

/// What the I/O layer found for a ``RelayTarget/lookUpRoute(matchId:)``.
public enum RouteLookup: Sendable, Equatable {
    /// The match is on `shard`, registered at `address` ("host:port").
    case found(ShardID, address: String)
    /// Redis knows no such match.
    case noSuchMatch
    /// Redis is unreachable or the shard is not registered (yet): retried at the next housekeeping.
    case failed
}

extension RelayCore {
    /// Shard links currently up.
    public var connectedShards: Int { routes.links.values.filter(\.connected).count }

    /// The match's shard if known and linked; otherwise a lookup is asked for (once) and the
    /// waiting joins go on in ``routeReady(_:_:)`` when it ends.
    func route(_ matchId: UInt64) -> ShardID? {
        if let sid = routes.byMatch[matchId], routes.links[sid]?.connected == true { return sid }
        if !routes.lookups.contains(matchId) {
            routes.lookups.insert(matchId)
            outbound.append(.lookUpRoute(matchId: matchId))
        }
        return nil
    }

    /// The answer to a ``RelayTarget/lookUpRoute(matchId:)``.
    public func routeLookedUp(matchId: UInt64, _ result: RouteLookup, nowMillis: UInt64) {
        routes.lookups.remove(matchId)
        switch result {
        case .noSuchMatch: resolved(matchId, nil)
        case .failed: retry(matchId, nowMillis: nowMillis)
        case .found(let sid, let address):
            routes.byMatch[matchId] = sid
            link(sid, address)
            if routes.links[sid]?.connected == true {
                resolved(matchId, sid)
            } else if routes.links[sid] == nil {
                retry(matchId, nowMillis: nowMillis)  // the address did not parse
            } else {
                routes.pending.remove(matchId)  // connecting: the link's up/down report decides
            }
        }
    }

    /// The ENet link to `shard` is up: the matches routed to it go on.
    public func shardLinkUp(_ shard: ShardID) {
        guard routes.links[shard] != nil else { return }
        routes.links[shard]!.connected = true
        for (mid, s) in routes.byMatch where s == shard { resolved(mid, shard) }
    }

    /// The ENet link to `shard` went down (or never came up): its matches are looked up again
    /// (another shard may adopt them) and its sessions re-join as resumes. Returns whether the
    /// link had been up (down) rather than never reached (unreachable).
    @discardableResult
    public func shardLinkDown(_ shard: ShardID, nowMillis: UInt64) -> Bool {
        guard let link = routes.links.removeValue(forKey: shard) else { return false }
        for (mid, s) in routes.byMatch where s == shard {
            routes.byMatch[mid] = nil
            routes.pending.insert(mid)
            if !link.connected, routes.unreachableSince[mid] == nil { routes.unreachableSince[mid] = nowMillis }
        }
        shardLost(shard)
        return link.connected
    }

    /// A message from the cluster's event channel (match moved or over, shard left).
    public func clusterEvent(_ event: ClusterEvent) {
        switch event {
        case .owner(let mid, let sid):
            if let old = routes.byMatch[mid], old != sid {
                routes.byMatch[mid] = nil
                counters.failover(.shardOwnerChanged)
                matchMoved(mid)
            }
        case .over(let mid):
            routes.byMatch[mid] = nil
            matchOver(mid)
        case .leave(let sid):
            for (mid, s) in routes.byMatch where s == sid { routes.byMatch[mid] = nil }
        case .alloc, .join, .drain, .racing:
            break
        }
    }

    /// Opens a link to `shard` unless one to the same address exists.
    private func link(_ shard: ShardID, _ address: String) {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else { return }
        let host = String(address[..<colon])
        if let l = routes.links[shard], l.host == host, l.port == port { return }
        routes.links[shard] = ShardRoutes.Link(host: host, port: port)
        outbound.append(.connectShard(shard, host: host, port: port))
    }

    /// Redis down or the shard not registered (yet): looked up again at the next housekeeping;
    /// after `config.shardUnreachableMillis` the waiting joins are refused.
    private func retry(_ matchId: UInt64, nowMillis: UInt64) {
        counters.routeLookupFailures += 1
        routes.pending.insert(matchId)
        if routes.unreachableSince[matchId] == nil { routes.unreachableSince[matchId] = nowMillis }
    }

    /// A lookup ended: the match is no longer pending, and its waiting joins go on (or are
    /// refused: no such match).
    private func resolved(_ matchId: UInt64, _ shard: ShardID?) {
        routes.pending.remove(matchId)
        routes.unreachableSince[matchId] = nil
        guard let shard else { refuseWaitingJoins(matchId, counted: .unknownMatch, told: .matchNotFound); return }
        routeReady(matchId, shard)
    }

    /// The match's shard is known and linked: joins that waited are sent.
    func routeReady(_ matchId: UInt64, _ shard: ShardID) {
        shardOfMatch[matchId] = shard
        for id in sessionsByMatch[matchId] ?? [] {
            guard let s = sessions[id], s.phase == .joining else { continue }
            sendControl(JoinRequestPacket(matchId: matchId, playerId: s.playerId, mode: s.mode, trace: s.trace), to: shard)
        }
    }

    /// Retries pending lookups; refuses the joins of matches whose shard stayed unreachable for
    /// `config.shardUnreachableMillis` ("the game server is unavailable").
    func retryRoutes(nowMillis: UInt64) {
        for (mid, since) in routes.unreachableSince where nowMillis &- since >= config.shardUnreachableMillis {
            routes.unreachableSince[mid] = nil
            routes.pending.remove(mid)
            routes.byMatch[mid] = nil
            refuseWaitingJoins(mid, counted: .shardUnavailable, told: .shardUnavailable)
        }
        for mid in routes.pending where !routes.lookups.contains(mid) {
            routes.lookups.insert(mid)
            outbound.append(.lookUpRoute(matchId: mid))
        }
    }

    /// Closes the match's sessions that wait to (re)join, each a counted drop with a reason the player reads.
    private func refuseWaitingJoins(_ matchId: UInt64, counted: RelayDropReason, told: DisconnectReason) {
        for id in sessionsByMatch[matchId] ?? [] where sessions[id]?.phase == .joining {
            counters.drop(counted)
            disconnect(id, told)
        }
    }
}
