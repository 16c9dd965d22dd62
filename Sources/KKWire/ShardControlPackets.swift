/// Relay -> shard, first message on a new ENet connection: who the relay is.
public struct RelayHelloPacket: WirePacket, Equatable {
    public static let type = PacketType.relayHello
    /// Random per relay process; lets the shard tell relays apart across reconnects.
    public var relayId: UInt64

    public init(relayId: UInt64) { self.relayId = relayId }

    public func encodeBody(into w: inout WireWriter) throws(WireError) { try w.writeUInt64(relayId) }
    public init(body r: inout WireReader) throws(WireError) { relayId = try r.readUInt64() }
}

/// Relay -> shard: put an authenticated player into its match (or back into it on resume).
public struct JoinRequestPacket: WirePacket, Equatable {
    public static let type = PacketType.joinRequest
    public var matchId: UInt64
    public var playerId: UInt64
    public var mode: HelloPacket.Mode
    /// The client's trace from its Hello (optional, trailing): the shard logs the join under it.
    public var trace: TraceContext?

    public init(matchId: UInt64, playerId: UInt64, mode: HelloPacket.Mode, trace: TraceContext? = nil) {
        self.matchId = matchId
        self.playerId = playerId
        self.mode = mode
        self.trace = trace
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt64(matchId)
        try w.writeUInt64(playerId)
        try w.writeUInt8(mode.rawValue)
        try trace?.encode(into: &w)
    }

    public init(body r: inout WireReader) throws(WireError) {
        matchId = try r.readUInt64()
        playerId = try r.readUInt64()
        guard let m = HelloPacket.Mode(rawValue: try r.readUInt8()) else { throw .invalidField }
        mode = m
        trace = try TraceContext.decodeTrailing(&r)
    }
}

/// Shard -> relay: the answer to a ``JoinRequestPacket``.
public struct JoinReplyPacket: WirePacket, Equatable {
    public static let type = PacketType.joinReply

    /// The outcome of a join.
    public enum Result: UInt8, Sendable {
        case ok = 0
        case noSuchMatch = 1
        case matchFull = 2
        case notOwner = 3
        case matchOver = 4
        case notInMatch = 5
    }

    public var matchId: UInt64
    public var playerId: UInt64
    public var result: Result
    public var slot: UInt8
    public var tickRate: UInt8
    public var tick: UInt32
    public var lastAppliedSeq: UInt32

    public init(matchId: UInt64, playerId: UInt64, result: Result, slot: UInt8, tickRate: UInt8,
                tick: UInt32, lastAppliedSeq: UInt32) {
        self.matchId = matchId
        self.playerId = playerId
        self.result = result
        self.slot = slot
        self.tickRate = tickRate
        self.tick = tick
        self.lastAppliedSeq = lastAppliedSeq
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt64(matchId)
        try w.writeUInt64(playerId)
        try w.writeUInt8(result.rawValue)
        try w.writeUInt8(slot)
        try w.writeUInt8(tickRate)
        try w.writeUInt32(tick)
        try w.writeUInt32(lastAppliedSeq)
    }

    public init(body r: inout WireReader) throws(WireError) {
        matchId = try r.readUInt64()
        playerId = try r.readUInt64()
        guard let res = Result(rawValue: try r.readUInt8()) else { throw .invalidField }
        result = res
        slot = try r.readUInt8()
        tickRate = try r.readUInt8()
        tick = try r.readUInt32()
        lastAppliedSeq = try r.readUInt32()
    }
}

/// Relay -> shard: a player's session ended at this relay (the player may resume elsewhere).
public struct LeavePacket: WirePacket, Equatable {
    public static let type = PacketType.leave
    public var matchId: UInt64
    public var playerId: UInt64
    public var reason: DisconnectReason

    public init(matchId: UInt64, playerId: UInt64, reason: DisconnectReason) {
        self.matchId = matchId
        self.playerId = playerId
        self.reason = reason
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt64(matchId)
        try w.writeUInt64(playerId)
        try w.writeUInt8(reason.rawValue)
    }

    public init(body r: inout WireReader) throws(WireError) {
        matchId = try r.readUInt64()
        playerId = try r.readUInt64()
        guard let reason = DisconnectReason(rawValue: try r.readUInt8()) else { throw .invalidField }
        self.reason = reason
    }
}
