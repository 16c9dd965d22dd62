import KKDelta
import KKPhysics
import KKRelayCore
import KKShardCore
import KKToken
import KKWire

/// A relay core wired to a shard core in memory: no sockets, no DTLS, no Redis. It plays the
/// I/O layers' part: drains both cores' outbound queues, answers route lookups from the shard's
/// matches and reports the shard link up. Lets the protocol logic be tested end to end,
/// deterministically.
final class InProcessStack {
    /// One relay core with what its clients received.
    final class RelayNode {
        let core: RelayCore
        let link: RelayLink
        /// Plaintext packets each client session received.
        var toClient: [Int: [[UInt8]]] = [:]
        var closed: [Int: DisconnectReason] = [:]
        /// `.joining` entries the core queued (the relay logs each join and resume).
        var joinsLogged = 0
        init(core: RelayCore, link: RelayLink) { self.core = core; self.link = link }
    }

    /// The shard that hosts the match (``adopt(from:id:)`` puts another in its place).
    private(set) var shard: ShardCore
    private(set) var nodes: [RelayNode] = []
    var shardUp = true
    private(set) var shardId: ShardID = "s0"
    let tickets: TokenIssuer
    let relayConfig: RelayConfig
    var now: UInt64 = 1_000

    /// The first relay.
    var relay: RelayCore { nodes[0].core }
    var toClient: [Int: [[UInt8]]] { nodes[0].toClient }
    var closed: [Int: DisconnectReason] { nodes[0].closed }

    init(relayConfig: RelayConfig = RelayConfig(), players: Int = 4) throws {
        var c = ShardConfig()
        c.playersPerMatch = players
        shard = ShardCore(config: c)
        try shard.createMatch(id: 500, seed: 7)
        tickets = try TokenIssuer(key: Self.ticketKey, protocolId: relayConfig.protocolId)
        self.relayConfig = relayConfig
        addRelay()
    }

    static let ticketKey = try! TokenKey(bytes: [UInt8](repeating: 9, count: 32))

    /// Another relay core on the same shard (its link id is its number, from 1).
    @discardableResult
    func addRelay() -> RelayNode {
        let node = RelayNode(core: RelayCore(config: relayConfig, tickets: tickets), link: RelayLink(UInt32(nodes.count + 1)))
        node.core.housekeeping(nowMillis: now, unixSeconds: 100)
        nodes.append(node)
        return node
    }

    /// Delivers everything the cores queued until none has more.
    func pump() {
        var moved = true
        while moved {
            moved = false
            for node in nodes {
                for out in node.core.drainOutbound() {
                    moved = true
                    switch out.target {
                    case .client(let id): node.toClient[id, default: []].append(Array(out.bytes))
                    case .close(let id, let reason): node.closed[id] = reason
                    case .shard(_, _):
                        guard shardUp else { continue }
                        out.bytes.withUnsafeBytes { shard.receive($0, from: node.link) }
                    case .lookUpRoute(let mid):
                        let found = shard.matches[mid] != nil && shardUp
                        node.core.routeLookedUp(matchId: mid, found ? .found(shardId, address: "10.0.0.1:7300") : .noSuchMatch,
                                                nowMillis: now)
                    case .connectShard(let sid, _, _):
                        if shardUp { node.core.shardLinkUp(sid) }
                    case .joining: node.joinsLogged += 1
                    }
                }
            }
            for out in shard.drainOutbound() {
                moved = true
                switch out.target {
                case .relay(let link, _):
                    guard let node = nodes.first(where: { $0.link == link }) else { continue }
                    out.bytes.withUnsafeBytes { node.core.shardPacket(from: shardId, $0, nowMillis: now) }
                case .unknownMatch(let j, let link): shard.refuseJoin(j, from: link)
                }
            }
        }
    }

    /// The shard dies and another (`id`) adopts its match from `snapshot`; the relays hear of
    /// the new owner on the event channel.
    func adopt(from snapshot: MatchSnapshot, id: ShardID) throws {
        var c = ShardConfig()
        c.playersPerMatch = snapshot.players.count
        let next = ShardCore(config: c)
        try next.adoptMatch(id: 500, state: snapshot.state, players: snapshot.players, lastAppliedSeq: snapshot.lastAppliedSeq)
        shard = next
        shardId = id
        for node in nodes { node.core.clusterEvent(.owner(matchId: 500, shard: id)) }
        pump()
    }

    func tick(_ n: Int = 1) {
        for _ in 0..<n {
            now += 16
            pump()
            shard.tick()
            pump()
        }
    }

    func client(_ id: Int, _ packet: some WirePacket, on node: RelayNode? = nil) {
        let bytes = try! packet.encoded()
        bytes.withUnsafeBytes { (node ?? nodes[0]).core.clientPacket(id, $0, nowMillis: now) }
        pump()
    }

    static func token(player: UInt64, match: UInt64 = 500) -> PrivateToken {
        PrivateToken(playerId: player, matchId: match, createTime: 1, expireTime: 1_000_000, kind: .connect,
                     clientKey: [UInt8](repeating: 1, count: 32))
    }

    /// Decodes what a session received.
    func received(_ id: Int, on node: RelayNode? = nil) -> [RelayToClient] {
        ((node ?? nodes[0]).toClient[id] ?? []).compactMap { b in b.withUnsafeBytes { try? RelayToClient.decode($0) } }
    }

    func frames(_ id: Int) -> [(FramePacket, [UInt8])] {
        (toClient[id] ?? []).compactMap { b in
            b.withUnsafeBytes { raw -> (FramePacket, [UInt8])? in
                guard case .frame(let f)? = try? RelayToClient.decode(raw) else { return nil }
                return (f, Array(raw[f.payload]))
            }
        }
    }
}
