import KKDelta
import KKPhysics
import KKRelay
import KKShard
import KKToken
import KKWire

/// A relay core wired to a shard core in memory: no sockets, no crypto. Lets the protocol
/// logic be tested end to end, deterministically.
final class InProcessStack: RelayCoreIO {
    typealias Shard = Int
    var relay: RelayCore<InProcessStack>!
    let shard: ShardCore<Int>
    /// Plaintext packets each client session received.
    var toClient: [Int: [[UInt8]]] = [:]
    var closed: [Int: DisconnectReason] = [:]
    var shardUp = true
    let relayIdAtShard = 1

    struct ShardSink: ShardOutput {
        unowned let stack: InProcessStack
        mutating func send(_ bytes: UnsafeRawBufferPointer, to relay: Int, reliable: Bool) {
            stack.relay.shardPacket(from: 0, bytes, nowMillis: stack.now)
        }
    }

    var now: UInt64 = 1_000

    init(relayConfig: RelayConfig = RelayConfig(), players: Int = 4) throws {
        var c = ShardConfig()
        c.playersPerMatch = players
        shard = ShardCore<Int>(config: c)
        try shard.createMatch(id: 500, seed: 7)
        relay = RelayCore(config: relayConfig, io: self)
        relay.route = { [unowned self] m in self.shard.matches[m] != nil && self.shardUp ? .ready(0) : .unknown }
    }

    func sendToClient(_ session: Int, _ plaintext: UnsafeRawBufferPointer) {
        toClient[session, default: []].append(Array(plaintext))
    }

    func sendToShard(_ shard: Int, _ bytes: UnsafeRawBufferPointer, reliable: Bool) {
        guard shardUp else { return }
        var sink = ShardSink(stack: self)
        self.shard.receive(bytes, from: relayIdAtShard, output: &sink)
    }

    func closeSession(_ session: Int, reason: DisconnectReason) { closed[session] = reason }

    func resumeTicket(for token: PrivateToken) -> [UInt8] { Array("ticket-\(token.playerId)".utf8) }

    func tick(_ n: Int = 1) {
        var sink = ShardSink(stack: self)
        for _ in 0..<n {
            now += 16
            relay.flush()
            shard.tick(output: &sink)
        }
    }

    func client(_ id: Int, _ packet: some WirePacket) {
        let bytes = try! packet.encoded()
        bytes.withUnsafeBytes { relay.clientPacket(id, $0, nowMillis: now) }
    }

    static func token(player: UInt64, match: UInt64 = 500) -> PrivateToken {
        PrivateToken(playerId: player, matchId: match, createTime: 1, expireTime: 1_000_000, kind: .connect,
                     clientKey: [UInt8](repeating: 1, count: 32))
    }

    /// Decodes what a session received.
    func received(_ id: Int) -> [RelayToClient] {
        (toClient[id] ?? []).compactMap { b in b.withUnsafeBytes { try? RelayToClient.decode($0) } }
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
