/// Quick-play matchmaking as pure state: tickets (a solo player or a party, with a region and a
/// rating) wait in a queue; ``formMatches(nowMillis:)`` groups compatible ones. The oldest
/// ticket anchors a match and takes, in queue order, tickets of its region whose rating is
/// within the anchor's allowed gap, which widens with the anchor's waiting time
/// (``MatchmakingRules/allowedGap(waitedMillis:)``); a party is taken whole or not at all. A
/// match forms when it is full, or, once its anchor has waited ``MatchmakingRules/fillWaitMillis``,
/// with at least ``MatchmakingRules/minPlayers``.
public struct Matchmaker: Sendable, Equatable, Codable {
    public struct Ticket: Sendable, Equatable, Codable {
        public var id: String
        /// One player, or a party (its leader first).
        public var players: [Int64]
        /// The relay region the ticket plays in (chosen from the client's measured pings).
        public var region: String
        /// The players' skill (the party's mean), on the rating scale of the stats service.
        public var rating: Double
        public var enqueuedAtMillis: Int64

        public init(id: String, players: [Int64], region: String, rating: Double, enqueuedAtMillis: Int64) {
            self.id = id; self.players = players; self.region = region; self.rating = rating
            self.enqueuedAtMillis = enqueuedAtMillis
        }
    }

    public enum QueueError: Error, Equatable, Sendable {
        /// A player of the ticket already waits in another ticket.
        case alreadyQueued(Int64)
        case tooManyPlayers
        case empty
    }

    public let rules: MatchmakingRules
    /// Waiting tickets, oldest first.
    public private(set) var queue: [Ticket] = []

    public init(rules: MatchmakingRules) { self.rules = rules }

    public mutating func enqueue(_ t: Ticket) throws(QueueError) {
        guard !t.players.isEmpty else { throw .empty }
        guard t.players.count <= rules.matchSize else { throw .tooManyPlayers }
        for p in t.players where queue.contains(where: { $0.players.contains(p) }) { throw .alreadyQueued(p) }
        queue.append(t)
    }

    /// Removes the ticket; false when it is not (any longer) waiting.
    @discardableResult
    public mutating func cancel(id: String) -> Bool {
        guard let i = queue.firstIndex(where: { $0.id == id }) else { return false }
        queue.remove(at: i)
        return true
    }

    /// The matches that can form now (each a list of tickets, anchor first); their tickets leave
    /// the queue.
    public mutating func formMatches(nowMillis: Int64) -> [[Ticket]] {
        var formed: [[Ticket]] = []
        var i = 0
        while i < queue.count {
            let anchor = queue[i]
            let waited = nowMillis - anchor.enqueuedAtMillis
            let gap = rules.allowedGap(waitedMillis: waited)
            var picked = [i]
            var count = anchor.players.count
            var j = i + 1
            while j < queue.count && count < rules.matchSize {
                let t = queue[j]
                if t.region == anchor.region, abs(t.rating - anchor.rating) <= gap, count + t.players.count <= rules.matchSize {
                    picked.append(j)
                    count += t.players.count
                }
                j += 1
            }
            if count == rules.matchSize || (waited >= rules.fillWaitMillis && count >= rules.minPlayers) {
                formed.append(picked.map { queue[$0] })
                for k in picked.reversed() { queue.remove(at: k) }
            } else {
                i += 1
            }
        }
        return formed
    }
}

/// Matchmaking knobs.
public struct MatchmakingRules: Sendable, Equatable, Codable {
    public var matchSize = 8
    /// A match that cannot fill starts with this many after ``fillWaitMillis``.
    public var minPlayers = 2
    public var fillWaitMillis: Int64 = 30_000
    /// Allowed rating gap: `baseGap` at once, plus `gapPerSecond` per second waited, up to `maxGap`.
    public var baseGap = 100.0
    public var gapPerSecond = 20.0
    public var maxGap = 600.0

    public init() {}

    public func allowedGap(waitedMillis: Int64) -> Double {
        min(maxGap, baseGap + gapPerSecond * Double(max(0, waitedMillis)) / 1000)
    }
}
