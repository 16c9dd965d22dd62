import KKToken

/// The lobby socket's protocol: one JSON text frame per message, both ways (docs/LOBBY.md).
/// Shared by the lobby service and the client SDK, so both read and write the same shapes.

/// A player's command (client to lobby). `ref`, when given, comes back on the command's `ok` or
/// `error` reply.
public struct LobbyCommand: Codable, Sendable, Equatable {
    public enum Op: String, Codable, Sendable, CaseIterable {
        /// `isPublic` (default false: private, with a join code).
        case create
        /// `code`; `party` (a party ticket of the social service) joins the whole party.
        case join
        /// Any public room with free seats (a new public room when there is none); `party` as for join.
        case quickJoin
        case leave
        /// Host only: `account`.
        case kick
        /// `ready`.
        case ready
        /// `track`.
        case vote
        /// `text`.
        case chat
        /// Quick play: `pings` (region -> ms, measured to the relays), `party` for a whole party.
        case queue
        case cancelQueue
        /// The room and queue state again (after a reconnect the lobby sends it unasked).
        case state
        /// `item`: a kart (`kart.*`) or skin (`skin.*`) from the player's inventory (economy service).
        case equip
    }

    public var op: Op
    public var ref: String?
    public var isPublic: Bool?
    public var code: String?
    public var account: Int64?
    public var ready: Bool?
    public var track: String?
    public var text: String?
    public var party: String?
    public var pings: [String: Int]?
    public var item: String?

    public init(op: Op, ref: String? = nil, isPublic: Bool? = nil, code: String? = nil, account: Int64? = nil, ready: Bool? = nil,
                track: String? = nil, text: String? = nil, party: String? = nil, pings: [String: Int]? = nil, item: String? = nil) {
        self.op = op; self.ref = ref; self.isPublic = isPublic; self.code = code; self.account = account; self.ready = ready
        self.track = track; self.text = text; self.party = party; self.pings = pings; self.item = item
    }
}

/// A room as its members see it.
public struct RoomView: Codable, Sendable, Equatable {
    public struct MemberView: Codable, Sendable, Equatable {
        public var account: Int64
        public var ready: Bool
        public var vote: String?
        /// Set while their connection is down: their seat is held until then.
        public var awayUntilMillis: Int64?
        /// What they picked from their inventory (nil: the starter kart / skin).
        public var kart: String?
        public var skin: String?
    }

    public var id: String
    /// Private rooms' join code.
    public var code: String?
    public var host: Int64
    /// "open", "countdown" or "starting".
    public var phase: String
    public var startsAtMillis: Int64?
    public var members: [MemberView]
    public var seats: Int
    public var tracks: [String]

    public init(_ room: Room, rules: LobbyRules) {
        id = room.id; code = room.code; host = room.host; seats = rules.seats; tracks = rules.tracks
        switch room.phase {
        case .open: phase = "open"
        case .countdown(let at): phase = "countdown"; startsAtMillis = at
        case .starting: phase = "starting"
        }
        members = room.members.map { MemberView(account: $0.account, ready: $0.ready, vote: $0.vote, awayUntilMillis: $0.heldUntilMillis,
                                                    kart: $0.kart, skin: $0.skin) }
    }

    /// The track the room would race if it started now (the lobby's tally): what a client
    /// prefetches while the countdown runs.
    public var leadingTrack: String { Room.winningTrack(votes: members.map(\.vote), tracks: tracks) }
}

/// One ``RoomEvent``, flat: `kind` plus the fields it has.
public struct EventView: Codable, Sendable, Equatable {
    public var kind: String
    public var account: Int64?
    public var ready: Bool?
    public var track: String?
    public var text: String?
    public var untilMillis: Int64?
    public var startsAtMillis: Int64?
    public var players: [Int64]?

    public init(kind: String) { self.kind = kind }

    public init(_ e: RoomEvent) {
        switch e {
        case .joined(let a): kind = "joined"; account = a
        case .left(let a): kind = "left"; account = a
        case .kicked(let a): kind = "kicked"; account = a
        case .away(let a, let until): kind = "away"; account = a; untilMillis = until
        case .back(let a): kind = "back"; account = a
        case .hostChanged(let a): kind = "hostChanged"; account = a
        case .ready(let a, let r): kind = "ready"; account = a; ready = r
        case .voted(let a, let t): kind = "voted"; account = a; track = t
        case .equipped(let a, let i): kind = "equipped"; account = a; text = i
        case .countdown(let at): kind = "countdown"; startsAtMillis = at
        case .countdownCancelled: kind = "countdownCancelled"
        case .chat(let a, let t): kind = "chat"; account = a; text = t
        case .start(let t, let p): kind = "start"; track = t; players = p
        case .closed: kind = "closed"
        }
    }
}

/// A seat in a race: what the client needs to connect (the connect token, as kk-match hands it
/// out: relays, client key and the sealed part).
public struct MatchAssignment: Codable, Sendable, Equatable {
    public var matchId: UInt64
    public var track: String
    /// The track's exact version (the SHA-256 of its bundle) when the lobby pinned it: the
    /// bundle to load (``track`` names it for people).
    public var trackSha256: String?
    public var token: ConnectToken
    /// Everyone in the race.
    public var players: [Int64]

    public init(matchId: UInt64, track: String, token: ConnectToken, players: [Int64]) {
        self.matchId = matchId; self.track = track; self.token = token; self.players = players
    }
}

/// A quick-play ticket's state.
public struct QueueView: Codable, Sendable, Equatable {
    /// "waiting", "matched" or "cancelled".
    public var state: String
    public var ticketId: String
    public var region: String?
    public var players: [Int64]

    public init(state: String, ticketId: String, region: String?, players: [Int64]) {
        self.state = state; self.ticketId = ticketId; self.region = region; self.players = players
    }
}

/// A message from the lobby: `type` says which fields it has.
/// - `hello` (`account`): the socket is authenticated.
/// - `ok` (`ref`) / `error` (`ref`, `code`, `message`): a command's outcome.
/// - `room` (`room`, `events`): the room after a change, with what happened; `left` (`events`):
///   you are no longer in a room (left, kicked, or the seat hold ran out).
/// - `match` (`match`): your seat in the race; connect now.
/// - `queue` (`queue`): your quick-play ticket changed.
/// - `presence` (`account`, `text` = offline / online / lobby / racing, `matchId` while racing):
///   a friend's presence changed.
public struct LobbyMessage: Codable, Sendable, Equatable {
    public var type: String
    public var ref: String?
    public var matchId: Int64?
    public var code: String?
    public var message: String?
    public var account: Int64?
    public var text: String?
    public var room: RoomView?
    public var events: [EventView]?
    public var match: MatchAssignment?
    public var queue: QueueView?

    public init(type: String, ref: String? = nil, code: String? = nil, message: String? = nil, account: Int64? = nil, text: String? = nil,
                room: RoomView? = nil, events: [EventView]? = nil, match: MatchAssignment? = nil, queue: QueueView? = nil) {
        self.type = type; self.ref = ref; self.code = code; self.message = message; self.account = account; self.text = text
        self.room = room; self.events = events; self.match = match; self.queue = queue
    }
}

/// Picks the quick-play region from the client's measured round trips to relays of each region:
/// the lowest among the regions the lobby serves (ties: the first in `known`); nil when none
/// was measured.
public enum RegionChoice {
    public static func pick(pings: [String: Int], known: [String]) -> String? {
        var best: (String, Int)?
        for r in known {
            guard let ms = pings[r], ms >= 0 else { continue }
            if best == nil || ms < best!.1 { best = (r, ms) }
        }
        return best?.0
    }
}
