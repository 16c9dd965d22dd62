/// One player's acknowledgement inside a shard frame: newest input sequence applied, and how
/// early the player's inputs have been arriving.
public struct PlayerAck: Equatable, Hashable, Sendable {
    /// ``inputMargin`` before the shard has seen an input of the player.
    public static let unknownMargin = Int8.min

    public var playerId: UInt64
    public var lastAppliedSeq: UInt32
    /// The smallest number of ticks by which the player's recent inputs reached the shard before
    /// their tick was stepped (negative: that many ticks late); ``unknownMargin`` when unknown.
    public var inputMargin: Int8

    @inlinable
    public init(playerId: UInt64, lastAppliedSeq: UInt32, inputMargin: Int8 = PlayerAck.unknownMargin) {
        self.playerId = playerId
        self.lastAppliedSeq = lastAppliedSeq
        self.inputMargin = inputMargin
    }
}

/// Shard -> relay: one authoritative full state of a match at a tick, sent once per match per
/// send tick to every relay with players in it. The relay delta-encodes it per client.
public struct MatchFramePacket: Equatable, Sendable {
    public var matchId: UInt64
    public var tick: UInt32
    /// State hash at `tick` (desync detection on clients).
    public var stateHash: UInt64
    /// Valid entries: `0..<playerCount`.
    public var players: InlineArray<16, PlayerAck>
    public var playerCount: Int
    /// Where the full-state payload sits in the decoded buffer.
    public var payload: Range<Int>

    @inlinable
    public init(matchId: UInt64, tick: UInt32, stateHash: UInt64) {
        self.matchId = matchId
        self.tick = tick
        self.stateHash = stateHash
        self.players = InlineArray(repeating: PlayerAck(playerId: 0, lastAppliedSeq: 0))
        self.playerCount = 0
        self.payload = 0..<0
    }

    /// Adds a player's ack.
    @inlinable
    public mutating func addPlayer(_ ack: PlayerAck) throws(WireError) {
        guard playerCount < Limits.maxPlayersPerMatch else { throw .countOutOfRange }
        players[playerCount] = ack
        playerCount += 1
    }

    /// The ack of `playerId`, if listed.
    @inlinable
    public func lastAppliedSeq(of playerId: UInt64) -> UInt32? {
        ack(of: playerId)?.lastAppliedSeq
    }

    /// The whole entry of `playerId`, if listed.
    @inlinable
    public func ack(of playerId: UInt64) -> PlayerAck? {
        for i in 0..<playerCount where players[i].playerId == playerId { return players[i] }
        return nil
    }

    public static func == (a: MatchFramePacket, b: MatchFramePacket) -> Bool {
        guard a.matchId == b.matchId, a.tick == b.tick, a.stateHash == b.stateHash,
              a.playerCount == b.playerCount, a.payload == b.payload else { return false }
        for i in 0..<a.playerCount where a.players[i] != b.players[i] { return false }
        return true
    }

    /// Writes the frame; `body` writes the state payload in place.
    @inlinable
    public func encode(protocolId: UInt32 = Limits.defaultProtocolId, into w: inout WireWriter,
                       payload body: (inout WireWriter) throws(WireError) -> Void) throws(WireError) {
        let start = try PacketFraming.begin(.matchFrame, protocolId: protocolId, into: &w)
        try w.writeUInt64(matchId)
        try w.writeUInt32(tick)
        try w.writeUInt64(stateHash)
        try w.writeUInt8(UInt8(playerCount))
        for i in 0..<playerCount {
            try w.writeUInt64(players[i].playerId)
            try w.writeUInt32(players[i].lastAppliedSeq)
            try w.writeInt8(players[i].inputMargin)
        }
        let lengthAt = try w.skip(2)
        let before = w.count
        try body(&w)
        let n = w.count - before
        guard n <= Limits.maxShardFramePayloadBytes else { throw .oversized }
        w.patchUInt16(UInt16(n), at: lengthAt)
        try PacketFraming.finish(&w, start: start)
    }

    @inlinable
    public init(body r: inout WireReader) throws(WireError) {
        self.init(matchId: try r.readUInt64(), tick: try r.readUInt32(), stateHash: try r.readUInt64())
        let n = Int(try r.readUInt8())
        guard n <= Limits.maxPlayersPerMatch else { throw .countOutOfRange }
        for _ in 0..<n {
            try addPlayer(PlayerAck(playerId: try r.readUInt64(), lastAppliedSeq: try r.readUInt32(),
                                    inputMargin: try r.readInt8()))
        }
        let len = Int(try r.readUInt16())
        guard len <= Limits.maxShardFramePayloadBytes else { throw .countOutOfRange }
        payload = try r.readRange(count: len)
    }

    /// Encodes with a payload array (tests, tools).
    public func encoded(payload bytes: [UInt8], protocolId: UInt32 = Limits.defaultProtocolId) throws(WireError) -> [UInt8] {
        try WireWriter.bytes(capacity: Limits.maxShardFramePayloadBytes + 512) { (w) throws(WireError) in
            try encode(protocolId: protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(bytes) }
        }
    }
}

/// Any packet on the relay<->shard ENet link, decoded in place.
public enum ShardMessage {
    case relayHello(RelayHelloPacket)
    case joinRequest(JoinRequestPacket)
    case joinReply(JoinReplyPacket)
    case leave(LeavePacket)
    case inputBatch(InputBatchView)
    case matchFrame(MatchFramePacket)

    @inlinable
    public static func decode(_ packet: UnsafeRawBufferPointer,
                              protocolId: UInt32 = Limits.defaultProtocolId) throws(WireError) -> ShardMessage {
        var (type, r) = try PacketFraming.open(packet, protocolId: protocolId, maxBytes: Limits.maxShardPacketBytes)
        let message: ShardMessage
        switch type {
        case .relayHello: message = .relayHello(try RelayHelloPacket(body: &r))
        case .joinRequest: message = .joinRequest(try JoinRequestPacket(body: &r))
        case .joinReply: message = .joinReply(try JoinReplyPacket(body: &r))
        case .leave: message = .leave(try LeavePacket(body: &r))
        case .inputBatch: message = .inputBatch(try InputBatchView(body: &r))
        case .matchFrame: message = .matchFrame(try MatchFramePacket(body: &r))
        default: throw .unknownType
        }
        try r.expectEnd()
        return message
    }
}
