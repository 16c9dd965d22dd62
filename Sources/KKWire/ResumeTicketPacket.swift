/// Relay -> client: a fresh resume ticket while the player plays. Tickets expire
/// (``WelcomePacket/resumeTicket`` is valid for the relay's `resumeTicketSeconds`), and a race
/// outlives one: the relay sends a new ticket well before the last one expires, so a relay that
/// dies late in a race can still be resumed from.
public struct ResumeTicketPacket: WirePacket, Equatable {
    public static let type = PacketType.resumeTicket

    /// Sealed token text to present as PSK identity at another relay (never empty).
    public var ticket: [UInt8]

    public init(ticket: [UInt8]) { self.ticket = ticket }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        guard !ticket.isEmpty, ticket.count <= Limits.maxResumeTicketBytes else { throw .countOutOfRange }
        try w.writeUInt16(UInt16(ticket.count))
        try w.writeBytes(ticket)
    }

    public init(body r: inout WireReader) throws(WireError) {
        let n = Int(try r.readUInt16())
        guard n > 0, n <= Limits.maxResumeTicketBytes else { throw .countOutOfRange }
        ticket = try r.readArray(count: n)
    }
}
