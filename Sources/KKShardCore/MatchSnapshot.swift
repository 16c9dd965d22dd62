import KKPhysics
import KKWire

/// The authoritative state of a match as stored in Redis (`kk:match:{mid}:snap`), enough for
/// another shard to adopt the match: fencing epoch, tick, hash, the players' slots and their
/// last applied input sequences, then the canonical MatchState bytes, then a CRC32C of it all.
public struct MatchSnapshot: Equatable, Sendable {
    public var epoch: UInt64
    public var players: [UInt64?]
    public var lastAppliedSeq: [UInt32]
    public var state: MatchState

    public init(epoch: UInt64, players: [UInt64?], lastAppliedSeq: [UInt32], state: MatchState) {
        self.epoch = epoch
        self.players = players
        self.lastAppliedSeq = lastAppliedSeq
        self.state = state
    }

    public enum SnapshotError: Error, Equatable { case malformed(String), hashMismatch, badChecksum }

    public func encoded() -> [UInt8] {
        var stateBytes: [UInt8] = []
        state.serialize(into: &stateBytes)
        let n = players.count
        return (try? WireWriter.bytes(capacity: 32 + n * 12 + stateBytes.count) { (w) throws(WireError) in
            try w.writeUInt64(epoch)
            try w.writeUInt32(state.tick)
            try w.writeUInt64(state.hash)
            try w.writeUInt8(UInt8(n))
            for i in 0..<n {
                try w.writeUInt64(players[i] ?? 0)
                try w.writeUInt32(lastAppliedSeq[i])
            }
            try w.writeBytes(stateBytes)
            let crc = CRC32C.checksum(w.written)
            try w.writeUInt32(crc)
        }) ?? []
    }

    public init(decoding whole: [UInt8]) throws(SnapshotError) {
        guard whole.count > 4 else { throw .malformed("short") }
        let stored = UInt32(whole[whole.count - 4]) | UInt32(whole[whole.count - 3]) << 8
            | UInt32(whole[whole.count - 2]) << 16 | UInt32(whole[whole.count - 1]) << 24
        let bytes = Array(whole[0..<(whole.count - 4)])
        guard CRC32C.checksum(bytes) == stored else { throw .badChecksum }
        let parsed: Result<(UInt64, UInt32, UInt64, [UInt64?], [UInt32], Range<Int>), WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) {
                var r = WireReader(raw)
                let epoch = try r.readUInt64()
                let tick = try r.readUInt32()
                let hash = try r.readUInt64()
                let n = Int(try r.readUInt8())
                guard n <= Limits.maxPlayersPerMatch else { throw .countOutOfRange }
                var players: [UInt64?] = []
                var seqs: [UInt32] = []
                for _ in 0..<n {
                    let p = try r.readUInt64()
                    players.append(p == 0 ? nil : p)
                    seqs.append(try r.readUInt32())
                }
                let rest = try r.readRange(count: r.remaining)
                _ = (tick, hash)
                return .success((epoch, tick, hash, players, seqs, rest))
            } catch { return .failure(error) }
        }
        guard case .success(let (epoch, tick, hash, players, seqs, rest)) = parsed else { throw .malformed("header") }
        let state: MatchState
        do { state = try MatchState(deserializing: Array(bytes[rest])) } catch { throw .malformed("state: \(error)") }
        guard state.tick == tick, state.hash == hash else { throw .hashMismatch }
        guard players.count == state.playerCount else { throw .malformed("player count") }
        self.init(epoch: epoch, players: players, lastAppliedSeq: seqs, state: state)
    }
}
