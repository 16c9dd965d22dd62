import KKClient
import KKPhysics
import KKRelayCore
import KKShardCore
import KKToken
import KKWire

/// In-memory relays + shard (after Tests/KKRelayTests/InProcessStack.swift, generalised to
/// several relay cores) driving real ``ClientSession``s: no sockets, no crypto, virtual time.
/// Every input the relays forward to the shard is recorded per player, to check that no
/// input sequence is forwarded twice.
final class ClientTestNet {
    let shard: ShardCore
    var relays: [Int: TestRelay] = [:]
    var ticks = 0
    /// Input sequences forwarded to the shard, per player, in order.
    var forwarded: [UInt64: [UInt32]] = [:]
    let matchId: UInt64 = 500

    var nowMillis: UInt64 { UInt64(ticks) * 1000 / 60 }

    init(players: Int, laps: UInt8? = 1, track: String = "oval") throws {
        var c = ShardConfig()
        c.playersPerMatch = players
        c.laps = laps
        c.track = track
        c.lingerTicks = 30
        shard = ShardCore(config: c)
        try shard.createMatch(id: matchId, seed: 7)
    }

    @discardableResult
    func addRelay(_ id: Int) -> TestRelay {
        let r = TestRelay(id: id, net: self)
        relays[id] = r
        return r
    }

    /// Delivers what the relay cores and the shard queued until none has more: relays' shard
    /// packets go to the shard (inputs recorded), the shard's to the relay of that link.
    func pump() {
        var moved = true
        while moved {
            moved = false
            for id in relays.keys.sorted() {
                let r = relays[id]!
                for out in r.core.drainOutbound() {
                    moved = true
                    switch out.target {
                    case .client(let sid): r.toClient[sid, default: []].append(Array(out.bytes))
                    case .close(let sid, let reason): r.closed[sid] = reason
                    case .shard(_, _):
                        out.bytes.withUnsafeBytes { raw in
                            recordForwarded(raw)
                            shard.receive(raw, from: RelayLink(UInt32(id)))
                        }
                    case .lookUpRoute(let mid): r.core.routeLookedUp(matchId: mid, .found("s0", address: "10.0.0.1:7300"), nowMillis: nowMillis)
                    case .connectShard(let sid, _, _): r.core.shardLinkUp(sid)
                    case .joining: break
                    }
                }
            }
            for out in shard.drainOutbound() {
                moved = true
                switch out.target {
                case .relay(let link, _):
                    out.bytes.withUnsafeBytes { relays[Int(link.id)]?.core.shardPacket(from: "s0", $0, nowMillis: nowMillis) }
                case .unknownMatch(let j, let link): shard.refuseJoin(j, from: link)
                }
            }
        }
    }

    /// One shard tick: relays flush their input batches, the shard steps and sends frames.
    func step() {
        ticks += 1
        pump()
        shard.tick()
        pump()
    }

    func recordForwarded(_ bytes: UnsafeRawBufferPointer) {
        guard case .inputBatch(let b)? = try? ShardMessage.decode(bytes) else { return }
        try? b.forEach { e in forwarded[e.playerId, default: []].append(e.seq) }
    }

    static func token(player: UInt64, match: UInt64 = 500) -> PrivateToken {
        PrivateToken(playerId: player, matchId: match, createTime: 1, expireTime: 1_000_000, kind: .connect,
                     clientKey: [UInt8](repeating: 1, count: 32))
    }
}

/// One relay core in memory (relay link `id` at the shard).
final class TestRelay {
    let id: Int
    let core: RelayCore
    var toClient: [Int: [[UInt8]]] = [:]
    var closed: [Int: DisconnectReason] = [:]

    init(id: Int, net: ClientTestNet) {
        self.id = id
        core = RelayCore(config: RelayConfig())
    }
}

/// A ``ClientSession`` attached to one relay session, driven by a bot.
final class TestClient {
    let session: ClientSession
    let player: UInt64
    var relay: TestRelay?
    var sessionId: Int
    var bot: BotDriver?
    var decodeErrors: [ClientError] = []

    init(player: UInt64, config: ClientConfig = ClientConfig(), bot: Bool = true) throws {
        session = try ClientSession(config: config)
        self.player = player
        sessionId = Int(player)
        self.bot = bot ? BotDriver(slot: 0, seed: player, wobble: 0) : nil
    }

    /// The transport's part: handshake with `relay`, then the session sends Hello.
    func connect(to relay: TestRelay, sessionId: Int, net: ClientTestNet) {
        self.relay = relay
        self.sessionId = sessionId
        session.start(nowMillis: net.nowMillis)
        session.handshakeStarted(relay: "relay-\(relay.id):7777", nowMillis: net.nowMillis)
        relay.core.sessionEstablished(sessionId, token: ClientTestNet.token(player: player), nowMillis: net.nowMillis)
        session.handshakeCompleted(nowMillis: net.nowMillis)
        flushUp(net)
    }

    /// Delivers what the relay sent, runs one 60 Hz update with the bot's input, sends.
    func frame(_ net: ClientTestNet) {
        if let relay {
            for bytes in relay.toClient[sessionId] ?? [] {
                do throws(ClientError) { try session.receive(bytes: bytes, nowMillis: net.nowMillis) } catch { decodeErrors.append(error) }
            }
            relay.toClient[sessionId] = nil
        }
        var input = KartInput.neutral
        if var b = bot, let slot = session.slot, let st = session.predictedState {
            if b.slot != slot { b = BotDriver(slot: slot, seed: player, wobble: 0) }
            input = b.input(state: st, track: session.track)
            bot = b
        }
        session.update(nowMillis: net.nowMillis, input: input)
        flushUp(net)
    }

    func flushUp(_ net: ClientTestNet) {
        guard let relay else { session.drainOutgoing { _ in }; return }
        let id = sessionId
        session.drainOutgoing { relay.core.clientPacket(id, $0, nowMillis: net.nowMillis) }
        net.pump()
    }
}
