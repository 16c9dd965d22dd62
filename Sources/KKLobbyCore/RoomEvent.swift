/// What happened in a room: every member's socket gets each event (the lobby's push).
public enum RoomEvent: Equatable, Sendable, Codable {
    case joined(account: Int64)
    case left(account: Int64)
    case kicked(account: Int64)
    /// The member's connection dropped: their seat is held until `untilMillis`.
    case away(account: Int64, untilMillis: Int64)
    /// They came back in time.
    case back(account: Int64)
    case hostChanged(account: Int64)
    case ready(account: Int64, ready: Bool)
    case voted(account: Int64, track: String)
    /// They picked a kart or skin.
    case equipped(account: Int64, item: String)
    /// Everyone is ready: the race starts at `startsAtMillis` unless someone changes their mind.
    case countdown(startsAtMillis: Int64)
    case countdownCancelled
    case chat(account: Int64, text: String)
    /// The countdown ran out: the lobby allocates one match for the room on `track`.
    case start(track: String, players: [Int64])
    /// The room has nobody left.
    case closed
}
