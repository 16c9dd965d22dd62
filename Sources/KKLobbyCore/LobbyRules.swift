/// The rules every room follows (one value per lobby deployment).
public struct LobbyRules: Sendable, Equatable, Codable {
    /// Seats per room (a match's player count).
    public var seats = 8
    /// Tracks a room may vote for (the tracks the shards know).
    public var tracks: [String]
    /// Chat: at most this many characters per message...
    public var chatMaxCharacters = 200
    /// ... and a token bucket per member: this many messages at once, one more per `chatRefillMillis`.
    public var chatBurst = 5
    public var chatRefillMillis: Int64 = 2_000
    /// Countdown once everyone (at least `minPlayersToStart`) is ready; anyone un-readying, leaving
    /// or joining stops it.
    public var countdownMillis: Int64 = 5_000
    public var minPlayersToStart = 2
    /// A member whose socket dropped keeps their seat this long (a held seat); back in time they
    /// carry on, after it they have left (docs: the seat is freed, a countdown stops, the host
    /// passes on).
    public var seatHoldMillis: Int64 = 30_000
    /// Private rooms' join codes: this many characters of ``codeAlphabet``.
    public var codeLength = 6
    /// No 0/O, 1/I/L: a code read aloud or off a screen is typed right.
    public static let codeAlphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    public init(tracks: [String]) { self.tracks = tracks }
}
