/// Why a session ends; sent both ways in a ``DisconnectPacket`` and used between relay and shard.
public enum DisconnectReason: UInt8, Sendable, CaseIterable {
    case clientQuit = 0
    case timeout = 1
    case tokenExpired = 2
    case matchOver = 3
    case matchNotFound = 4
    case shardUnavailable = 5
    case relayDraining = 6
    case protocolError = 7
    case serverFull = 8
    case replaced = 9
    case kicked = 10
    case banned = 11

    /// Words a player can understand.
    public var message: String {
        switch self {
        case .clientQuit: "you left the match"
        case .timeout: "connection timed out"
        case .tokenExpired: "your ticket expired; ask for a new match"
        case .matchOver: "the match is over"
        case .matchNotFound: "the match no longer exists"
        case .shardUnavailable: "the game server is unavailable"
        case .relayDraining: "this relay is shutting down; reconnecting elsewhere"
        case .protocolError: "protocol error (client and server versions differ?)"
        case .serverFull: "the server is full"
        case .replaced: "you connected again from somewhere else"
        case .kicked: "you were removed from the match"
        case .banned: "you are banned from playing for a while"
        }
    }
}

/// Either direction: the sender ends the session.
public struct DisconnectPacket: WirePacket, Equatable {
    public static let type = PacketType.disconnect
    public var reason: DisconnectReason

    public init(reason: DisconnectReason) { self.reason = reason }

    public func encodeBody(into w: inout WireWriter) throws(WireError) {
        try w.writeUInt8(reason.rawValue)
    }

    public init(body r: inout WireReader) throws(WireError) {
        guard let reason = DisconnectReason(rawValue: try r.readUInt8()) else { throw .invalidField }
        self.init(reason: reason)
    }
}
