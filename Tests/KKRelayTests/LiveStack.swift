import KKClientTransport
import KKDTLS
import KKLoop
import KKRedis
import KKRelay
import KKRelayCore
import KKShard
import KKShardCore
import KKTestSupport
import KKToken
import KKWire
import Logging

/// A real stack on one loop: redis-server (KKTestSupport), a shard (ENet + Redis registry), a
/// relay (UDP + DTLS + ENet + Redis), and DTLS clients over real UDP sockets on loopback.
final class LiveStack {
    let loop: EventLoop
    let prefix = "kkt\(UInt32.random(in: 0...UInt32.max)):"
    let key: TokenKey
    let issuer: TokenIssuer
    let redis: RedisClient
    var shard: ShardServer!
    var registry: ShardRegistry!
    var relays: [RelayServer] = []
    let logger: Logger

    init(shardId: String = "s1") throws {
        var l = Logger(label: "test")
        l.logLevel = .warning
        logger = l
        loop = try EventLoop()
        key = try TokenKey.random()
        issuer = try TokenIssuer(key: key)
        let port = try RedisTestServer.port()
        redis = RedisClient(loop: loop, options: .init(host: "127.0.0.1", port: port))
        redis.connect()
        var c = ShardConfig()
        c.id = shardId
        c.enetPort = 0
        c.redisPort = port
        c.playersPerMatch = 4
        c.registrationTTLMillis = 1000
        c.ownershipTTLMillis = 1000
        shard = try ShardServer(config: c, loop: loop, logger: logger)
        registry = ShardRegistry(server: shard, loop: loop, logger: logger, prefix: prefix)
        shard.start()
        registry.start()
        _ = drive(loop) { registry.registered && redis.isConnected }
    }

    func relayConfig() throws -> RelayConfig {
        var c = RelayConfig()
        c.listenPort = 0
        c.tokenKeysHex = [key.hex]
        c.cookieSecretHex = try TokenKey.random().hex
        c.redisPort = try RedisTestServer.port()
        c.idleTimeoutMillis = 3000
        return c
    }

    @discardableResult
    func addRelay(_ config: RelayConfig? = nil) throws -> RelayServer {
        let r = try RelayServer(config: config ?? relayConfig(), loop: loop, logger: logger, prefix: prefix)
        try r.start()
        relays.append(r)
        _ = drive(loop) { r.redisConnected }
        return r
    }

    /// Allocates a match on the shard the way the match service does (Redis hash + event).
    func allocate(match: UInt64) {
        var done = false
        redis.command(["HSET", .string(prefix + "match:\(match)"), "shard", .string(shard.config.id), "state", "open"]) { _ in
            self.redis.command(["SADD", .string(self.prefix + "matches:active"), .string("\(match)")]) { _ in
                self.redis.command(["SET", .string(self.prefix + "match:\(match):owner"), .string(self.shard.config.id), "PX", "1000"]) { _ in
                    done = true
                }
            }
        }
        _ = drive(loop) { done }
    }

    func client(player: UInt64, match: UInt64, relay: RelayServer, validSeconds: UInt64 = 60) throws -> TestClient {
        let token = try issuer.issue(playerId: player, matchId: match, now: dtlsUnixSeconds(), validSeconds: validSeconds,
                                     relays: ["127.0.0.1:\(relay.port)"])
        return try TestClient(loop: loop, relayPort: relay.port, token: token)
    }
}

/// A scripted client: DTLS transport plus decoding of what arrives.
final class TestClient {
    let transport: DTLSClientTransport
    var received: [RelayToClientBox] = []
    var welcome: WelcomePacket?
    var frames = 0
    var lastFrameTick: UInt32 = 0
    var disconnect: DisconnectReason?

    struct RelayToClientBox { let bytes: [UInt8] }

    init(loop: EventLoop, relayPort: UInt16, token: ConnectToken) throws {
        let ctx = try DTLSClientContext()
        transport = try DTLSClientTransport(loop: loop, relay: PeerAddress(host: "127.0.0.1", port: relayPort)!, token: token, context: ctx)
        transport.onPacket = { [unowned self] bytes in
            guard let m = try? RelayToClient.decode(bytes) else { return }
            switch m {
            case .welcome(let w): welcome = w
            case .frame(let f): frames += 1; lastFrameTick = max(lastFrameTick, f.tick)
            case .disconnect(let d): disconnect = d.reason
            case .pong, .resumeTicket: break
            }
        }
    }

    func send(_ p: some WirePacket) { transport.send(try! p.encoded()) }
}
