import Glibc
import KKDTLS
import KKENet
import KKLoop
import KKRedis
import KKRelayCore
import KKToken
import KKWire
import Logging

/// A running edge relay worker on one libuv loop thread. A client datagram's path, top to bottom:
///
///     UDP socket (recvmmsg) -> AddressGate (rate limits, cookie gate) -> ClientConnections (DTLS)
///       -> RelayCore -> drainOutbound() -> ClientConnections (encrypt) / ShardLinks (ENet)
///
/// Shard packets come in through ``ShardLinks`` and leave the same way. ``RelayRegistration``
/// keeps the relay's entry in Redis; housekeeping runs every 50 ms.
public final class RelayServer {
    public let config: RelayConfig
    public let loop: EventLoop
    public let core: RelayCore
    let udp: BatchedUDPSocket
    private var poll: LoopPoll?
    private let dtls: DTLSServerContext
    let gate: AddressGate
    private let connections: ClientConnections
    let links: ShardLinks
    let redis: RedisClient
    private let events: RedisSubscriber
    private let registration: RelayRegistration
    private let housekeepingTimer: LoopTimer
    let logger: Logger
    private var lastSecond: UInt64 = 0
    public private(set) var drainStartedMillis: UInt64?
    /// Whether the draining relay told its sessions to move (``RelayConfig/drainMoveAfterMillis``).
    private var sessionsMoved = false
    /// Called when a drain finished (all sessions gone or the deadline passed).
    public var onDrained: (() -> Void)?
    /// The lobby's control plane, when attached (``attachControlPlane(_:)``).
    public internal(set) var control: RelayControlClient?
    var lastDatagramsIn = 0

    public init(config: RelayConfig, loop: EventLoop, logger: Logger, prefix: String = "kk:",
                clock: @escaping () -> UInt64 = dtlsUnixSeconds) throws(RelayError) {
        let problems = config.validate()
        guard problems.isEmpty else { throw .badConfig(problems) }
        self.config = config
        self.loop = loop
        self.logger = logger
        let issuer: TokenIssuer
        do {
            let keys = try config.tokenKeysHex.map { (hex) throws(TokenError) in try TokenKey(hex: hex) }
            let validator = try TokenValidator(keys: keys, protocolId: config.protocolId)
            issuer = try TokenIssuer(key: keys[0], protocolId: config.protocolId)
            dtls = try DTLSServerContext(validator: validator, cookieKey: try DTLSCookieKey(secret: try TokenKey(hex: config.cookieSecretHex).bytes),
                                         clock: clock)
        } catch let e as TokenError {
            throw .token(e)
        } catch let e as DTLSError {
            throw .dtls(e)
        } catch {
            throw .badConfig(["token keys / cookie secret: \(error)"])
        }
        guard let listen = PeerAddress(host: config.listenHost, port: config.listenPort) else {
            throw .badConfig(["listen address \(config.listenHost) is not an IP literal"])
        }
        do { udp = try BatchedUDPSocket(bind: listen, reusePort: true, batch: 64) } catch { throw .udp(error) }
        let endpoint: ENetEndpoint
        do { endpoint = try ENetEndpoint(loop: loop, bind: nil, maxPeers: 64) } catch { throw .enet(error) }
        core = RelayCore(config: config, tickets: issuer)
        gate = AddressGate(config: config, cookies: dtls.gate)
        connections = ClientConnections(config: config, udp: udp, dtls: dtls, core: core)
        let opts = RedisClient.Options(host: config.redisHost, port: config.redisPort, cluster: config.redisCluster)
        redis = RedisClient(loop: loop, options: opts)
        events = RedisSubscriber(loop: loop, options: opts)
        // The relay reads and writes directory keys only (docs/REDIS-KEYS.md).
        let shared = RedisKeyspace(prefix: prefix, cluster: config.redisCluster).shared
        links = ShardLinks(endpoint: endpoint, redis: redis, events: events, prefix: shared, logger: logger, core: core,
                           nowMillis: { [loop] in loop.nowMillis })
        var rng = SystemRandomNumberGenerator()
        registration = RelayRegistration(redis: redis, prefix: shared,
                                         relayId: "relay-\(String(rng.next() & 0xFFFF_FFFF, radix: 16))-\(getpid())",
                                         ttlMillis: config.registrationTTLMillis)
        housekeepingTimer = LoopTimer(loop: loop)
    }

    public var port: UInt16 { udp.localAddress.port }
    public var counters: RelayCounters { core.counters }
    public var sessionCount: Int { connections.count }
    public var handshakesInProgress: Int { connections.handshaking }
    public var redisConnected: Bool { redis.isConnected }
    public var shardsConnected: Int { core.connectedShards }
    public var registered: Bool { registration.registered }
    var registrationId: String { registration.relayId }
    /// Shards registered in Redis at the last check (readiness: at least one).
    public var knownShards: Int { registration.knownShards }

    public func start() throws(RelayError) {
        do {
            let p = try LoopPoll(loop: loop, fd: udp.fd)
            poll = p
            p.start(.readable) { [unowned self] _ in readable() }
        } catch { throw .udp(error) }
        links.afterResults = { [unowned self] in sendOutbound() }
        links.start()
        redis.onStateChange = { [unowned self] up in if up { register() } else { registration.lost() } }
        redis.connect()
        events.connect()
        core.housekeeping(nowMillis: loop.nowMillis, unixSeconds: dtls.nowSeconds)
        housekeepingTimer.start(afterMillis: 50, repeatMillis: 50) { [unowned self] in housekeeping() }
        logger.info("relay listening", metadata: ["udp": "\(config.listenHost):\(port)", "id": "\(registration.relayId)"])
    }

    // MARK: the datagram path

    private func readable() {
        let now = loop.nowMillis
        udp.receive(maxBatches: 16) { bytes, from in datagram(bytes, from: from, now: now) }
        sendOutbound()
    }

    private func datagram(_ bytes: UnsafeRawBufferPointer, from: PeerAddress, now: UInt64) {
        core.counters.datagramsIn += 1
        core.counters.bytesIn += bytes.count
        if let conn = connections.connection(at: from) {
            guard conn.packets.take(nowMillis: now) else { core.counters.drop(.rateLimited); return }
            connections.receive(bytes, on: conn, nowMillis: now)
            return
        }
        switch gate.admit(bytes, from: from, nowMillis: now, nowSeconds: dtls.nowSeconds) {
        case .drop(let reason):
            core.counters.drop(reason)
        case .pong(let length):
            core.counters.pingsAnswered += 1
            if udp.send(UnsafeRawBufferPointer(rebasing: gate.response[0..<length]), to: from) {
                core.counters.datagramsOut += 1
                core.counters.bytesOut += length
            }
        case .reply(let length):
            core.counters.helloVerifyRequests += 1
            if udp.send(UnsafeRawBufferPointer(rebasing: gate.response[0..<length]), to: from) {
                core.counters.datagramsOut += 1
                core.counters.bytesOut += length
            }
        case .startSession:
            connections.open(bytes, from: from, bucket: gate.connectionBucket(for: from, nowMillis: now), nowMillis: now)
        }
    }

    /// Carries out what the core queued, in order, then sends the batched datagrams. A call
    /// made while it runs (a Redis reply delivered synchronously, say) drains nothing: what it
    /// queued is delivered by the running pass (the queue knows it is being drained).
    func sendOutbound() {
        for out in core.drainOutbound() {
            switch out.target {
            case .client(let id): connections.send(out.bytes, to: id)
            case .shard(let sid, let reliable):
                if !links.send(out.bytes, to: sid, reliable: reliable) { core.counters.drop(.shardUnavailable) }
            case .close(let id, _): connections.close(id)
            case .lookUpRoute(let mid): links.lookUp(mid)
            case .connectShard(let sid, let host, let port): links.connect(sid, host: host, port: port)
            case .joining(let id): logJoin(id)
            }
        }
        links.flush()
        udp.flush()
    }

    /// One line per join or resume, with the client's trace (W3C ids) when its Hello had one.
    private func logJoin(_ id: Int) {
        guard let s = core.sessions[id] else { return }
        var meta: Logger.Metadata = ["player": "\(s.playerId)", "match": "\(s.matchId)"]
        if let t = s.trace {
            meta["trace_id"] = "\(t.traceId)"
            meta["span_id"] = "\(t.spanIdHex)"
        }
        logger.info(s.mode == .resume ? "session resume" : "session join", metadata: meta)
    }

    // MARK: housekeeping, registration, drain

    private func housekeeping() {
        let now = loop.nowMillis
        connections.handshakeTimers(nowMillis: now)
        if let started = drainStartedMillis, let after = config.drainMoveAfterMillis, !sessionsMoved, now >= started + after {
            sessionsMoved = true
            logger.info("draining: telling \(connections.establishedIds.count) sessions to move (the route is withdrawn by now)")
            for id in connections.establishedIds {
                core.counters.failover(.drainMove)
                core.disconnect(id, .relayDraining)
            }
        }
        if now >= lastSecond + 1000 {
            lastSecond = now
            core.housekeeping(nowMillis: now, unixSeconds: dtls.nowSeconds)
            gate.everySecond()
            gate.load = UInt8(clamping: connections.count * 255 / max(1, config.maxSessions))
            register()
            if let started = drainStartedMillis, core.sessions.isEmpty || now > started + config.drainDeadlineMillis { onDrained?() }
        }
        sendOutbound()
    }

    private func register() {
        registration.refresh(address: "\(config.listenHost):\(port)", admin: "\(config.adminHost):\(config.adminPort)",
                             sessions: connections.count, draining: core.draining)
    }

    /// Stops taking new sessions; existing ones play on until their match ends or the deadline.
    public func drain() {
        guard drainStartedMillis == nil else { return }
        core.draining = true
        drainStartedMillis = loop.nowMillis
        logger.info("draining: \(core.sessions.count) sessions play on for up to \(config.drainDeadlineMillis) ms")
        register()
    }

    /// Tells every client, deregisters from Redis and closes sockets; `then` runs when done.
    public func stop(then: @escaping () -> Void) {
        onDrained = nil  // it usually calls stop and holds the relay: no cycle outlives the loop
        housekeepingTimer.stop(); housekeepingTimer.close()
        poll?.stop(); poll?.close(); poll = nil
        for id in connections.establishedIds { core.disconnect(id, .relayDraining) }
        sendOutbound()
        links.close()
        control?.stop()
        control = nil
        registration.deregister { [unowned self] in
            events.close()
            redis.close()
            then()
        }
    }
}

/// Why a relay could not start.
public enum RelayError: Error, Equatable, Sendable {
    /// The configuration is invalid (each problem named).
    case badConfig([String])
    /// A token key or the cookie secret is not usable.
    case token(TokenError)
    /// The DTLS server context could not be set up.
    case dtls(DTLSError)
    /// The UDP socket or its poll handle.
    case udp(IOError)
    /// The ENet host for shard links.
    case enet(ENetError)
}
