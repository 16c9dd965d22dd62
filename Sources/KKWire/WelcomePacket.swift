/// Relay -> client: the join or resume was accepted. Carries where the player is and a resume
/// ticket (a fresh sealed token, base64url text) to present as PSK identity at another relay.
public struct WelcomePacket: WirePacket, Equatable {
    public static let type = PacketType.welcome

    public var playerId: UInt64
    public var matchId: UInt64
    /// The player's kart slot in the match.
    public var slot: UInt8
    /// Simulation ticks per second.
    public var tickRate: UInt8
    /// The shard's current tick.
    public var serverTick: UInt32
    /// Newest input sequence the shard has applied for this player (resume: do not resend older).
    public var lastAppliedSeq: UInt32
    /// Sealed token text for resuming elsewhere; empty when the relay issues none.
    public var resumeTicket: [UInt8]

    public init(playerId: UInt64, matchId: UInt64, slot: UInt8, tickRate: UInt8,
                serverTick: UInt32, lastAppliedSeq: UInt32, resumeTicket: [UInt8]) {
        self.playerId = playerId
        self.matchId = matchId
        self.slot = slot
        self.tickRate = tickRate
        self.serverTick = serverTick
        self.lastAppliedSeq = lastAppliedSeq
        self.resumeTicket = resumeTicket
    }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        guard resumeTicket.count <= Limits.maxResumeTicketBytes else { throw .countOutOfRange }
        // Receivers refuse a zero tick rate; refuse to send one rather than emit a dead packet.
        guard tickRate > 0 else { throw .invalidField }
        try w.writeUInt64(playerId)
        try w.writeUInt64(matchId)
        try w.writeUInt8(slot)
        try w.writeUInt8(tickRate)
        try w.writeUInt32(serverTick)
        try w.writeUInt32(lastAppliedSeq)
        try w.writeUInt16(UInt16(resumeTicket.count))
        try w.writeBytes(resumeTicket)
    }

    public init(body r: inout WireReader) throws(WireError) {
        playerId = try r.readUInt64()
        matchId = try r.readUInt64()
        slot = try r.readUInt8()
        tickRate = try r.readUInt8()
        guard tickRate > 0 else { throw .invalidField }
        serverTick = try r.readUInt32()
        lastAppliedSeq = try r.readUInt32()
        let n = Int(try r.readUInt16())
        guard n <= Limits.maxResumeTicketBytes else { throw .countOutOfRange }
        resumeTicket = try r.readArray(count: n)
    }
}
