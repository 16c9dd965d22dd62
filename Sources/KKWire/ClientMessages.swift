/// Any packet a client may send to a relay, decoded from one datagram (no allocation).
public enum ClientToRelay: Sendable {
    case hello(HelloPacket)
    case input(InputPacket)
    case ping(PingPacket)
    case disconnect(DisconnectPacket)

    /// Decodes one plaintext datagram; packets of another direction are ``WireError/unknownType``.
    @inlinable
    public static func decode(_ packet: UnsafeRawBufferPointer,
                              protocolId: UInt32 = Limits.defaultProtocolId) throws(WireError) -> ClientToRelay {
        var (type, r) = try PacketFraming.open(packet, protocolId: protocolId)
        let message: ClientToRelay
        switch type {
        case .hello: message = .hello(try HelloPacket(body: &r))
        case .input: message = .input(try InputPacket(body: &r))
        case .ping: message = .ping(try PingPacket(body: &r))
        case .disconnect: message = .disconnect(try DisconnectPacket(body: &r))
        default: throw .unknownType
        }
        try r.expectEnd()
        return message
    }
}

/// Any packet a relay may send to a client. Frames keep their payload as a range in `packet`.
public enum RelayToClient: Sendable {
    case welcome(WelcomePacket)
    case frame(FramePacket)
    case pong(PongPacket)
    case disconnect(DisconnectPacket)
    case resumeTicket(ResumeTicketPacket)

    public static func decode(_ packet: UnsafeRawBufferPointer,
                              protocolId: UInt32 = Limits.defaultProtocolId) throws(WireError) -> RelayToClient {
        var (type, r) = try PacketFraming.open(packet, protocolId: protocolId)
        let message: RelayToClient
        switch type {
        case .welcome: message = .welcome(try WelcomePacket(body: &r))
        case .fullFrame, .deltaFrame: message = .frame(try FramePacket(type: type, body: &r))
        case .pong: message = .pong(try PongPacket(body: &r))
        case .disconnect: message = .disconnect(try DisconnectPacket(body: &r))
        case .resumeTicket: message = .resumeTicket(try ResumeTicketPacket(body: &r))
        default: throw .unknownType
        }
        try r.expectEnd()
        return message
    }
}
