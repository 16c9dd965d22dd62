import Benchmark
import KKPhysics
import KKRelayCore
import KKToken
import KKWire

/// Plays the relay's I/O layer for the benchmark: drains the core's outbound queue and counts
/// what it would encrypt and send (sockets and crypto are measured by udpbench/dtlsbench).
/// Route lookups are answered at once and the shard link reported up.
final class SinkIO {
    var toClientBytes = 0
    var toShardBytes = 0

    func drain(_ core: RelayCore) {
        for out in core.drainOutbound() {
            switch out.target {
            case .client: toClientBytes &+= out.bytes.count
            case .shard: toShardBytes &+= out.bytes.count
            case .close: break
            case .lookUpRoute(let mid): core.routeLookedUp(matchId: mid, .found("s0", address: "127.0.0.1:7300"), nowMillis: 0)
            case .connectShard(let sid, _, _): core.shardLinkUp(sid)
            }
        }
    }
}

/// 1000 playing sessions on one relay, 125 matches of 8 on one shard.
final class RelayPathFixture {
    static let players = 1_000
    let io = SinkIO()
    let core: RelayCore
    var packets: [[UInt8]] = []
    var seq: UInt32 = 3
    var sim: MatchSimulation

    init() {
        var cfg = RelayConfig()
        cfg.maxClientBytesPerSecond = 1e12
        core = RelayCore(config: cfg)
        sim = MatchSimulation(track: try! TrackCatalog.track(named: "oval"), playerCount: 8, seed: 1)
        // Sessions 0..<1000 (125 matches) for the input path; 8 more in a match of their own
        // for the frame fan-out, so neither benchmark disturbs the other's sequence numbers.
        for p in 0..<(Self.players + 8) { join(p) }
        for _ in 0..<400 { sim.step(inputs: [KartInput](repeating: KartInput(buttons: 1, steer: 20), count: 8)) }
    }

    /// Session `p` (player p + 1, match p / 8 + 1, slot p % 8) handshaken, Hello sent, joined.
    func join(_ p: Int) {
        let token = PrivateToken(playerId: UInt64(p + 1), matchId: UInt64(p / 8 + 1), createTime: 1, expireTime: 1 << 40,
                                 kind: .connect, clientKey: [UInt8](repeating: 1, count: 32))
        core.sessionEstablished(p, token: token, nowMillis: 0)
        let hello = try! HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1).encoded()
        hello.withUnsafeBytes { core.clientPacket(p, $0, nowMillis: 0) }
        io.drain(core)
        let reply = try! JoinReplyPacket(matchId: UInt64(p / 8 + 1), playerId: UInt64(p + 1), result: .ok, slot: UInt8(p % 8),
                                         tickRate: 60, tick: 0, lastAppliedSeq: 0).encoded(capacity: Limits.maxShardPacketBytes)
        reply.withUnsafeBytes { core.shardPacket(from: "s0", $0, nowMillis: 0) }
        io.drain(core)
    }

    /// The frame fan-out's sessions (after the input path's) and their match.
    static let frameSessions = players..<(players + 8)
    static let frameMatch = UInt64(players / 8 + 1)

    /// One input packet per player (3 new inputs + 6 redundant), then one flush.
    func inputCycle() {
        for p in 0..<Self.players {
            var pkt = InputPacket(seq: seq, tick: seq &+ 10, ackFrameTick: 0)
            pkt.count = 9
            for i in 0..<9 { pkt.inputs[i] = InputSample(buttons: 1, steer: Int8(i)) }
            send(pkt, from: p)
        }
        io.drain(core)
        seq &+= 3
    }

    var packetScratch = [UInt8](repeating: 0, count: 1200)

    /// Encodes `pkt` into the scratch buffer (no allocation) and hands it to the relay as session `p`'s.
    func send(_ pkt: InputPacket, from p: Int) {
        let n = WireWriter.write(into: &packetScratch) { (w) throws(WireError) in try pkt.encode(into: &w) }
        packetScratch.withUnsafeBytes { core.clientPacket(p, UnsafeRawBufferPointer(rebasing: $0[0..<n]), nowMillis: 1) }
    }

    /// Pre-encoded shard frames for the frame match (ticks 3 apart), so the measured loop holds only relay work.
    /// Enough for the warm-up and every measured iteration without wrapping (ticks going back
    /// would leave the clients' acks behind and turn deltas into full frames).
    lazy var shardFrames: [(bytes: [UInt8], tick: UInt32)] = (0..<8_000).map { _ in
        for _ in 0..<3 { sim.step(inputs: [KartInput](repeating: KartInput(buttons: 1, steer: 20), count: 8)) }
        var state: [UInt8] = []
        sim.state.serialize(into: &state)
        var f = MatchFramePacket(matchId: Self.frameMatch, tick: sim.state.tick, stateHash: sim.state.hash)
        for p in Self.frameSessions { try! f.addPlayer(PlayerAck(playerId: UInt64(p + 1), lastAppliedSeq: seq)) }
        return (try! f.encoded(payload: state), sim.state.tick)
    }
    var nextFrame = 0
    var lastFrameTick: UInt32 = 0
    var ackSeq: UInt32 = 1

    /// One shard frame for the frame match (8 sessions): decode, cache, delta-encode per client
    /// against the frame each acknowledged (an 8-player input packet carries the ack first).
    func frameFanOut() {
        ackSeq &+= 1
        for p in Self.frameSessions {
            var pkt = InputPacket(seq: ackSeq, tick: ackSeq, ackFrameTick: lastFrameTick)
            pkt.count = 1
            send(pkt, from: p)
        }
        io.drain(core)
        precondition(nextFrame < shardFrames.count, "frame fan-out ran out of pre-encoded frames")
        let frame = shardFrames[nextFrame]
        nextFrame += 1
        frame.bytes.withUnsafeBytes { core.shardPacket(from: "s0", $0, nowMillis: 1) }
        io.drain(core)
        lastFrameTick = frame.tick
    }
}

func relayBenchmarks() {
    let f = RelayPathFixture()
    f.inputCycle()
    guard f.core.counters.inputsForwarded == RelayPathFixture.players * 3 else {
        fatalError("relay forwarded \(f.core.counters.inputsForwarded)")
    }
    // Per player-packet: decode, replay window, reorder, Z-merge, share of the batch encode.
    Benchmark("Relay: input path, 1000 players (per client packet)", configuration: kkConfig(.kilo, iterations: 2_000)) { benchmark in
        for _ in 0..<(benchmark.scaledIterations.count / RelayPathFixture.players) { f.inputCycle() }
        blackHole(f.io.toShardBytes)
    }
    // Per match frame with 8 clients: their 8 acks (input packets), state decode + cache,
    // 8 delta encodes against the acked frame + frame packets.
    _ = f.shardFrames
    for _ in 0..<200 { f.frameFanOut() }
    guard f.core.counters.framesDelta >= 199 * 8 else { fatalError("frame fan-out sent \(f.core.counters.framesDelta) deltas") }
    Benchmark("Relay: frame fan-out, 8 clients (per match frame)", configuration: kkConfig(.one, iterations: 5_000)) { benchmark in
        f.frameFanOut()
        blackHole(f.io.toClientBytes)
    }
}
