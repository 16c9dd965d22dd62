/// Why a room refused a command: one stable code each (the lobby's WebSocket error events).
public enum RoomError: Error, Equatable, Sendable, CustomStringConvertible {
    case full
    case notMember
    case alreadyMember
    case notHost
    case kicked
    case unknownTrack(String)
    case chatTooLong
    case chatRateLimited
    case emptyChat
    /// The room is starting or started: no more changes.
    case started
    case partyTooLarge
    /// Not a kart or skin item.
    case unknownItem(String)

    public var code: String {
        switch self {
        case .full: "room_full"
        case .notMember: "not_member"
        case .alreadyMember: "already_member"
        case .notHost: "not_host"
        case .kicked: "kicked"
        case .unknownTrack: "unknown_track"
        case .chatTooLong: "chat_too_long"
        case .chatRateLimited: "chat_rate_limited"
        case .emptyChat: "chat_empty"
        case .started: "room_started"
        case .partyTooLarge: "party_too_large"
        case .unknownItem: "unknown_item"
        }
    }

    public var description: String {
        switch self {
        case .full: "the room is full"
        case .notMember: "you are not in this room"
        case .alreadyMember: "already in this room"
        case .notHost: "only the host may"
        case .kicked: "you were removed from this room"
        case .unknownTrack(let t): "no track \(t)"
        case .chatTooLong: "message too long"
        case .chatRateLimited: "slow down"
        case .emptyChat: "empty message"
        case .started: "the race is starting"
        case .partyTooLarge: "the party does not fit in the room"
        case .unknownItem(let i): "\(i) is not a kart or skin"
        }
    }
}
