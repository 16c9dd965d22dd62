import Glibc
import KKDTLS
import KKENet
import KKLoop
import KKRedis
import KKToken
import KKWire
import Logging

/// A running edge relay worker: one libuv loop thread with a batched UDP socket (DTLS clients),
/// the stateless cookie gate, per-client DTLS sessions over memory BIOs, the ``RelayCore``,
/// ENet links to shards found through Redis, and the relay's own Redis registration.
public final class RelayServer: RelayCoreIO {
    public typealias Shard = String

    public let config: RelayConfig
    public let loop: EventLoop
    public private(set) var core: RelayCore<RelayServer>!
    let udp: BatchedUDPSocket
    private var poll: LoopPoll?
    private let dtls: DTLSServerContext
    private let gate: DTLSCookieGate
    private let issuer: TokenIssuer
    let directory: ShardDirectory
    let redis: RedisClient
    private let events: RedisSubscriber
    private let housekeeping: LoopTimer
    private let logger: Logger
    private let prefix: String
    private let relayId: String

    private var byAddress: [PeerAddress: ClientConnection] = [:]
    private var byId: [Int: ClientConnection] = [:]
    private var nextId = 1
    private var handshaking = 0
    private var packetBuckets: [PeerAddress: TokenBucket] = [:]
    private var handshakeBuckets: [PeerAddress: TokenBucket] = [:]
    private let response = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    private let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    private var expired: [Int] = []
    private var lastSecond: UInt64 = 0
    public private(set) var drainStartedMillis: UInt64?
    /// Called when a drain finished (all sessions gone or the deadline passed).
    public var onDrained: (() -> Void)?
    public var counters: RelayCounters { core.counters }
    public private(set) var gateDrops: [String: Int] = [:]
    public private(set) var dtlsFailures: [String: Int] = [:]
    public private(set) var registered = false

    public init(config: RelayConfig, loop: EventLoop, logger: Logger, prefix: String = "kk:",
                clock: @escaping () -> UInt64 = dtlsUnixSeconds) throws(RelayError) {
        let problems = config.validate()
        guard problems.isEmpty else { throw .badConfig(problems) }
        self.config = config
        self.loop = loop
        self.logger = logger
        self.prefix = prefix
        var rng = SystemRandomNumberGenerator()
        relayId = "relay-\(String(rng.next() & 0xFFFF_FFFF, radix: 16))-\(getpid())"
        do {
            let keys = try config.tokenKeysHex.map { (hex) throws(TokenError) in try TokenKey(hex: hex) }
            let validator = try TokenValidator(keys: keys, protocolId: config.protocolId)
            issuer = try TokenIssuer(key: keys[0], protocolId: config.protocolId)
            let secret = try TokenKey(hex: config.cookieSecretHex).bytes
            dtls = try DTLSServerContext(validator: validator, cookieKey: try DTLSCookieKey(secret: secret), clock: clock)
        } catch {
            throw .badConfig(["token keys / cookie secret: \(error)"])
        }
        gate = dtls.gate
        guard let listen = PeerAddress(host: config.listenHost, port: config.listenPort) else {
            throw .badConfig(["listen address \(config.listenHost) is not an IP literal"])
        }
        do {
            udp = try BatchedUDPSocket(bind: listen, reusePort: true, batch: 64)
        } catch { throw .io("\(error)") }
        let endpoint: ENetEndpoint
        do { endpoint = try ENetEndpoint(loop: loop, bind: nil, maxPeers: 64) } catch { throw .io("ENet: \(error)") }
        let opts = RedisClient.Options(host: config.redisHost, port: config.redisPort)
        redis = RedisClient(loop: loop, options: opts)
        events = RedisSubscriber(loop: loop, options: opts)
        directory = ShardDirectory(endpoint: endpoint, redis: redis, events: events, prefix: prefix, logger: logger,
                                   unreachableAfterMillis: config.shardUnreachableMillis, nowMillis: { [loop] in loop.nowMillis })
        housekeeping = LoopTimer(loop: loop)
        core = RelayCore(config: config, io: self)
        // Unknown routes are looked up (and retried while Redis is down); the directory calls
        // routeResolved when the lookup ends, with nil when the match does not exist.
        core.route = { [unowned self] mid in
            if let sid = directory.route(mid) { return .ready(sid) }
            return .pending
        }
        packetBuckets.reserveCapacity(1024)
        byAddress.reserveCapacity(min(config.maxSessions, 65_536))
    }

    deinit {
        response.deallocate()
        plaintext.deallocate()
    }

    public var port: UInt16 { udp.localAddress.port }
    public var sessionCount: Int { byAddress.count }
    public var handshakesInProgress: Int { handshaking }
    public var redisConnected: Bool { redis.isConnected }
    public var shardsConnected: Int { directory.connectedShards }

    public func start() throws(RelayError) {
        do {
            let p = try LoopPoll(loop: loop, fd: udp.fd)
            poll = p
            p.start(.readable) { [unowned self] _ in self.readable() }
        } catch { throw .io("\(error)") }
        directory.onResolved = { [unowned self] mid, sid in core.routeResolved(matchId: mid, shard: sid) }
        directory.onUnreachable = { [unowned self] mid in core.routeUnavailable(matchId: mid) }
        directory.onLinkDown = { [unowned self] sid in core.shardLost(sid) }
        directory.onMatchMoved = { [unowned self] mid in core.matchMoved(mid) }
        directory.onMatchOver = { [unowned self] mid in core.matchOver(mid) }
        directory.onPacket = { [unowned self] sid, bytes in core.shardPacket(from: sid, bytes, nowMillis: loop.nowMillis) }
        directory.start()
        redis.onStateChange = { [unowned self] up in if up { register() } else { registered = false; knownShards = 0 } }
        redis.connect()
        events.connect()
        housekeeping.start(afterMillis: 50, repeatMillis: 50) { [unowned self] in self.tick() }
        logger.info("relay listening", metadata: ["udp": "\(config.listenHost):\(port)", "id": "\(relayId)"])
    }

    // MARK: datagrams in

    private func readable() {
        let now = loop.nowMillis
        udp.receive(maxBatches: 16) { bytes, from in datagram(bytes, from: from, now: now) }
        core.flush()
        directory.endpoint.flush()
        udp.flush()
    }

    private func datagram(_ bytes: UnsafeRawBufferPointer, from: PeerAddress, now: UInt64) {
        core.counters.datagramsIn += 1
        core.counters.bytesIn += bytes.count
        if let conn = byAddress[from] {
            guard conn.packets.take(nowMillis: now) else { core.counters.drop(.rateLimited); return }
            fromKnown(conn, bytes, now: now)
        } else {
            // Sources without a connection: their buckets live in a table cleared every second.
            var bucket = packetBuckets[from] ?? newPacketBucket(now)
            let ok = bucket.take(nowMillis: now)
            packetBuckets[from] = bucket
            guard ok else { core.counters.drop(.rateLimited); return }
            fromUnknown(bytes, from: from, now: now)
        }
    }

    private func newPacketBucket(_ now: UInt64) -> TokenBucket {
        TokenBucket(ratePerSecond: config.packetsPerSecondPerAddress, burst: config.packetsPerSecondPerAddress, nowMillis: now)
    }

    private func fromUnknown(_ bytes: UnsafeRawBufferPointer, from: PeerAddress, now: UInt64) {
        let verdict = from.withBytes { peer in gate.inspect(bytes, peer: peer, nowSeconds: dtls.nowSeconds, response: response) }
        switch verdict {
        case .drop(let reason):
            gateDrops[reason.metricLabel, default: 0] += 1
            core.counters.drop(.notDTLS)
        case .sendHelloVerifyRequest(let length, _):
            core.counters.helloVerifyRequests += 1
            sendRaw(UnsafeRawBufferPointer(rebasing: response[0..<length]), to: from)
        case .startSession:
            if handshakeBuckets[from] == nil {
                handshakeBuckets[from] = TokenBucket(ratePerSecond: config.handshakesPerSecondPerAddress,
                                                     burst: max(1, config.handshakesPerSecondPerAddress), nowMillis: now)
            }
            guard handshakeBuckets[from]!.take(nowMillis: now) else { core.counters.drop(.handshakeRateLimited); return }
            guard !core.draining else { core.counters.drop(.draining); return }
            guard byAddress.count < config.maxSessions else { core.counters.drop(.sessionLimit); return }
            guard handshaking < config.maxConcurrentHandshakes else { core.counters.drop(.handshakeLimit); return }
            let made: Result<DTLSSession, DTLSError> = from.withBytes { peer in
                do throws(DTLSError) { return .success(try DTLSSession(server: dtls, peer: peer)) } catch { return .failure(error) }
            }
            let session: DTLSSession
            switch made {
            case .success(let s): session = s
            case .failure(let e): dtlsFailures[e.metricLabel, default: 0] += 1; return
            }
            let conn = ClientConnection(id: nextId, address: from, dtls: session,
                                        handshakeDeadline: now + config.handshakeTimeoutMillis,
                                        packets: packetBuckets[from] ?? newPacketBucket(now))
            nextId += 1
            byAddress[from] = conn
            byId[conn.id] = conn
            handshaking += 1
            core.counters.handshakesStarted += 1
            fromKnown(conn, bytes, now: now)
        }
    }

    private func fromKnown(_ conn: ClientConnection, _ bytes: UnsafeRawBufferPointer, now: UInt64) {
        do {
            try conn.dtls.feed(bytes)
        } catch {
            core.counters.drop(.dtlsFailed)
            return
        }
        if !conn.established {
            switch conn.dtls.advance() {
            case .wantMore:
                drain(conn)
                return
            case .failed(let e):
                drain(conn)
                if case .tokenRejected = e { core.counters.drop(.tokenRejected) }
                dtlsFailures[e.metricLabel, default: 0] += 1
                core.counters.handshakesFailed += 1
                remove(conn)
                return
            case .established:
                drain(conn)
                conn.established = true
                handshaking -= 1
                core.counters.handshakesOK += 1
                guard let token = conn.dtls.token else { remove(conn); return }
                core.sessionEstablished(conn.id, token: token, nowMillis: now)
            }
        }
        while true {
            let n: Int?
            do { n = try conn.dtls.readPlaintext(into: plaintext) } catch {
                if case .peerClosed = error { core.sessionEnded(conn.id) } else { dtlsFailures[error.metricLabel, default: 0] += 1 }
                drain(conn)
                if conn.dtls.isEstablished == false { core.sessionEnded(conn.id); remove(conn) }
                return
            }
            guard let n else { break }
            core.clientPacket(conn.id, UnsafeRawBufferPointer(rebasing: plaintext[0..<n]), nowMillis: now)
            guard byId[conn.id] != nil else { return }
        }
        drain(conn)
    }

    /// Sends every ciphertext datagram the session has queued.
    private func drain(_ conn: ClientConnection) {
        while true {
            var more = false
            let ok = udp.send(to: conn.address) { slot in
                guard let n = try? conn.dtls.drainOutgoing(into: slot) else { return 0 }
                more = true
                return n
            }
            if !ok { core.counters.drop(.sendQueueFull); return }
            if !more { return }
            core.counters.datagramsOut += 1
        }
    }

    private func sendRaw(_ bytes: UnsafeRawBufferPointer, to: PeerAddress) {
        if udp.send(bytes, to: to) { core.counters.datagramsOut += 1; core.counters.bytesOut += bytes.count }
    }

    private func remove(_ conn: ClientConnection) {
        if !conn.established { handshaking -= 1 }
        byAddress[conn.address] = nil
        byId[conn.id] = nil
    }

    // MARK: RelayCoreIO

    public func sendToClient(_ session: Int, _ plaintext: UnsafeRawBufferPointer) {
        guard let conn = byId[session] else { return }
        do { try conn.dtls.writePlaintext(plaintext) } catch { core.counters.drop(.dtlsFailed); return }
        core.counters.bytesOut += plaintext.count
        drain(conn)
    }

    public func sendToShard(_ shard: String, _ bytes: UnsafeRawBufferPointer, reliable: Bool) {
        if !directory.send(bytes, to: shard, reliable: reliable) { core.counters.drop(.shardUnavailable) }
    }

    public func closeSession(_ session: Int, reason: DisconnectReason) {
        guard let conn = byId[session] else { return }
        conn.dtls.shutdown()
        drain(conn)
        remove(conn)
    }

    public func resumeTicket(for token: PrivateToken) -> [UInt8] {
        let now = dtls.nowSeconds
        guard let t = try? issuer.resumeTicket(for: token, now: now, validSeconds: config.resumeTicketSeconds) else { return [] }
        return Array(t.utf8)
    }

    // MARK: housekeeping

    private func tick() {
        let now = loop.nowMillis
        // Handshake deadlines and DTLS retransmissions.
        for conn in byId.values where !conn.established {
            if now > conn.handshakeDeadline {
                core.counters.handshakesFailed += 1
                dtlsFailures["timeout", default: 0] += 1
                remove(conn)
                continue
            }
            if (try? conn.dtls.handleTimeout()) == true { drain(conn) }
        }
        core.flush()
        directory.endpoint.flush()
        udp.flush()
        if now >= lastSecond + 1000 {
            lastSecond = now
            core.expireIdle(nowMillis: now, into: &expired)
            packetBuckets.removeAll(keepingCapacity: true)
            if handshakeBuckets.count > 100_000 { handshakeBuckets.removeAll(keepingCapacity: true) }
            directory.retryPending()
            register()
            if let started = drainStartedMillis {
                if core.sessions.isEmpty || now > started + config.drainDeadlineMillis { onDrained?() }
            }
        }
    }

    private func register() {
        guard redis.isConnected else { return }
        let key = prefix + "relay:" + relayId
        redis.command(["HSET", .string(key), "addr", .string("\(config.listenHost):\(port)"),
                       "admin", .string("\(config.adminHost):\(config.adminPort)"),
                       "sessions", .int(Int64(byAddress.count)), "draining", .int(core.draining ? 1 : 0)]) { [unowned self] r in
            registered = !r.isError
        }
        redis.command(["PEXPIRE", .string(key), 3000]) { _ in }
        redis.command(["SADD", .string(prefix + "relays"), .string(relayId)]) { _ in }
        redis.command(["SCARD", .string(prefix + "shards")]) { [unowned self] r in
            if case .integer(let n) = r { knownShards = Int(n) }
        }
    }

    /// Shards registered in Redis at the last check (readiness: at least one).
    public private(set) var knownShards = 0

    /// Stops taking new sessions; existing ones play on until their match ends or the deadline.
    public func drain() {
        guard drainStartedMillis == nil else { return }
        core.draining = true
        drainStartedMillis = loop.nowMillis
        logger.info("draining: \(core.sessions.count) sessions play on for up to \(config.drainDeadlineMillis) ms")
        register()
    }

    /// Deregisters from Redis and closes sockets.
    public func stop(then: @escaping () -> Void) {
        housekeeping.stop(); housekeeping.close()
        poll?.stop(); poll?.close(); poll = nil
        for conn in byId.values where conn.established {
            core.disconnect(conn.id, .relayDraining)
        }
        udp.flush()
        directory.endpoint.flush()
        directory.endpoint.close()
        guard redis.isConnected else { events.close(); redis.close(); then(); return }
        redis.command(["DEL", .string(prefix + "relay:" + relayId)]) { _ in }
        redis.command(["SREM", .string(prefix + "relays"), .string(relayId)]) { [unowned self] _ in
            events.close()
            redis.close()
            then()
        }
    }
}

/// Errors of the relay.
public enum RelayError: Error, Equatable, Sendable {
    case badConfig([String])
    case io(String)
}
