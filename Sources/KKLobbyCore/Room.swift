/// One lobby room, as pure state (no I/O, no clock, no randomness: the caller passes the time and
/// stores the room, in Redis, between commands; any lobby instance can apply the next one).
/// Commands change the room and return the events its members should see, or throw a
/// ``RoomError`` and change nothing.
///
/// Rules: up to ``LobbyRules/seats`` members, in seat order; a party joins as one unit or not at
/// all; the host is the longest-standing member (when the host leaves, the next one hosts); the
/// host kicks (a kicked player cannot come back); members ready up and vote for a track; when at
/// least ``LobbyRules/minPlayersToStart`` members are all ready a countdown starts, and any
/// change (un-ready, join, leave, kick) cancels it; at its end ``tick(nowMillis:)`` says start,
/// with the most-voted track (ties: the earliest in the rules' list; no votes: the first).
/// Chat has a length limit and a token bucket per member.
public struct Room: Sendable, Equatable, Codable {
    public enum Phase: Sendable, Equatable, Codable {
        case open
        case countdown(startsAtMillis: Int64)
        /// The countdown ended: the lobby is allocating the match (no more changes).
        case starting
    }

    public struct Member: Sendable, Equatable, Codable {
        public var account: Int64
        public var ready = false
        public var vote: String?
        /// Chat token bucket.
        public var chatTokens: Int
        public var chatRefilledAtMillis: Int64
        /// Set while the member's connection is down: their seat is held until then.
        public var heldUntilMillis: Int64?
        /// The kart and skin they picked (items of their inventory; nil: the starters).
        public var kart: String?
        public var skin: String?
    }

    public let id: String
    /// Private rooms' join code (nil: public, found by quick join).
    public let code: String?
    public private(set) var host: Int64
    public private(set) var members: [Member]
    public private(set) var phase: Phase = .open
    public private(set) var kicked: [Int64] = []

    /// A room created by `host` (alone in it).
    public init(id: String, code: String?, host: Int64, rules: LobbyRules, nowMillis: Int64) {
        self.id = id
        self.code = code
        self.host = host
        members = [Member(account: host, chatTokens: rules.chatBurst, chatRefilledAtMillis: nowMillis)]
    }

    public var accounts: [Int64] { members.map(\.account) }
    public var isEmpty: Bool { members.isEmpty }
    public func contains(_ account: Int64) -> Bool { members.contains { $0.account == account } }
    public func freeSeats(_ rules: LobbyRules) -> Int { rules.seats - members.count }

    /// `party` (one player, or a party as one unit) takes seats.
    public mutating func join(_ party: [Int64], rules: LobbyRules, nowMillis: Int64) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard !party.isEmpty, party.count <= rules.seats else { throw .partyTooLarge }
        guard Set(party).count == party.count else { throw .alreadyMember }
        guard party.allSatisfy({ !contains($0) }) else { throw .alreadyMember }
        guard party.allSatisfy({ !kicked.contains($0) }) else { throw .kicked }
        guard party.count <= freeSeats(rules) else { throw .full }
        var events = cancelCountdown()
        for a in party {
            members.append(Member(account: a, chatTokens: rules.chatBurst, chatRefilledAtMillis: nowMillis))
            events.append(.joined(account: a))
        }
        return events
    }

    /// `account` leaves; the next member hosts when the host left; the last one out closes the room.
    public mutating func leave(_ account: Int64) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        members.remove(at: i)
        var events = cancelCountdown() + [.left(account: account)]
        events += afterDeparture(of: account)
        return events
    }

    /// The host removes `target` for good.
    public mutating func kick(by account: Int64, target: Int64) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard account == host else { throw .notHost }
        guard target != account, let i = members.firstIndex(where: { $0.account == target }) else { throw .notMember }
        members.remove(at: i)
        kicked.append(target)
        return cancelCountdown() + [.kicked(account: target)] + afterDeparture(of: target)
    }

    public mutating func setReady(_ account: Int64, _ ready: Bool, rules: LobbyRules, nowMillis: Int64) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        guard members[i].ready != ready else { return [] }
        members[i].ready = ready
        var events: [RoomEvent] = [.ready(account: account, ready: ready)]
        if !ready {
            events += cancelCountdown()
        } else if members.count >= rules.minPlayersToStart, members.allSatisfy(\.ready) {
            let at = nowMillis + rules.countdownMillis
            phase = .countdown(startsAtMillis: at)
            events.append(.countdown(startsAtMillis: at))
        }
        return events
    }

    public mutating func vote(_ account: Int64, track: String, rules: LobbyRules) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        guard rules.tracks.contains(track) else { throw .unknownTrack(track) }
        members[i].vote = track
        return [.voted(account: account, track: track)]
    }

    /// Picks a kart (`kart.*`) or skin (`skin.*`); the caller checked the inventory.
    public mutating func equip(_ account: Int64, item: String) throws(RoomError) -> [RoomEvent] {
        guard phase != .starting else { throw .started }
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        if item.hasPrefix("kart.") { members[i].kart = item } else if item.hasPrefix("skin.") { members[i].skin = item } else {
            throw .unknownItem(item)
        }
        return [.equipped(account: account, item: item)]
    }

    public mutating func chat(_ account: Int64, text: String, rules: LobbyRules, nowMillis: Int64) throws(RoomError) -> [RoomEvent] {
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        let trimmed = String(String(text.drop(while: \.isWhitespace).reversed()).drop(while: \.isWhitespace).reversed())
        guard !trimmed.isEmpty else { throw .emptyChat }
        guard trimmed.count <= rules.chatMaxCharacters else { throw .chatTooLong }
        var m = members[i]
        let refills = rules.chatRefillMillis > 0 ? (nowMillis - m.chatRefilledAtMillis) / rules.chatRefillMillis : 0
        if refills > 0 {
            m.chatTokens = min(rules.chatBurst, m.chatTokens + Int(min(refills, Int64(rules.chatBurst))))
            m.chatRefilledAtMillis += refills * rules.chatRefillMillis
        }
        guard m.chatTokens > 0 else { members[i] = m; throw .chatRateLimited }
        m.chatTokens -= 1
        members[i] = m
        return [.chat(account: account, text: trimmed)]
    }

    /// `account`'s connection dropped: their seat is held for ``LobbyRules/seatHoldMillis``.
    public mutating func disconnected(_ account: Int64, rules: LobbyRules, nowMillis: Int64) throws(RoomError) -> [RoomEvent] {
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        let until = nowMillis + rules.seatHoldMillis
        members[i].heldUntilMillis = until
        return [.away(account: account, untilMillis: until)]
    }

    /// `account` is back (a new connection) within their hold: same seat, same state.
    public mutating func reconnected(_ account: Int64) throws(RoomError) -> [RoomEvent] {
        guard let i = members.firstIndex(where: { $0.account == account }) else { throw .notMember }
        guard members[i].heldUntilMillis != nil else { return [] }
        members[i].heldUntilMillis = nil
        return [.back(account: account)]
    }

    /// Time passes: held seats that ran out are freed (their members have left); at the
    /// countdown's end the room is starting (a member away then still races: the match holds
    /// their kart until they connect or time out).
    public mutating func tick(nowMillis: Int64, rules: LobbyRules) -> [RoomEvent] {
        var events: [RoomEvent] = []
        if phase != .starting {
            for m in members where (m.heldUntilMillis ?? .max) <= nowMillis {
                if let e = try? leave(m.account) { events += e }
            }
        }
        guard case .countdown(let at) = phase, nowMillis >= at else { return events }
        phase = .starting
        return events + [.start(track: winningTrack(rules), players: accounts)]
    }

    /// The most-voted track; ties go to the earliest in the rules' list; no votes: the first.
    public func winningTrack(_ rules: LobbyRules) -> String {
        Self.winningTrack(votes: members.map(\.vote), tracks: rules.tracks)
    }

    /// The tally: the most-voted of `tracks`; ties go to the earliest; no votes: the first.
    public static func winningTrack(votes: [String?], tracks: [String]) -> String {
        var best = tracks.first ?? "", bestVotes = 0
        for t in tracks {
            let n = votes.filter { $0 == t }.count
            if n > bestVotes { best = t; bestVotes = n }
        }
        return best
    }

    /// The race started: everyone is out of the room at once (the lobby then forgets it).
    public mutating func disband() -> [RoomEvent] {
        members.removeAll()
        return [.closed]
    }

    /// Back to open (the allocation failed: the members may try again).
    public mutating func reopen() -> [RoomEvent] {
        guard phase == .starting else { return [] }
        phase = .open
        for i in members.indices { members[i].ready = false }
        return [.countdownCancelled]
    }

    private mutating func cancelCountdown() -> [RoomEvent] {
        guard case .countdown = phase else { return [] }
        phase = .open
        return [.countdownCancelled]
    }

    private mutating func afterDeparture(of account: Int64) -> [RoomEvent] {
        guard let next = members.first else { return [.closed] }
        guard account == host else { return [] }
        host = next.account
        return [.hostChanged(account: host)]
    }
}

/// Join codes for private rooms, from random bytes the caller supplies (the core has no
/// randomness of its own): ``LobbyRules/codeLength`` characters of ``LobbyRules/codeAlphabet``.
public enum RoomCode {
    public static func make(from random: [UInt8], rules: LobbyRules) -> String {
        let alphabet = LobbyRules.codeAlphabet
        guard !random.isEmpty else { return String(repeating: alphabet[0], count: rules.codeLength) }
        return String((0..<rules.codeLength).map { alphabet[Int(random[$0 % random.count]) % alphabet.count] })
    }

    /// Normalizes what a player typed (case, spaces, dashes); nil when it cannot be a code.
    public static func normalize(_ typed: String, rules: LobbyRules) -> String? {
        let s = typed.uppercased().filter { $0 != " " && $0 != "-" }
        guard s.count == rules.codeLength, s.allSatisfy({ LobbyRules.codeAlphabet.contains($0) }) else { return nil }
        return s
    }
}
