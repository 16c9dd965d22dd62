/// A match's network figures as its shard saw them, per kart slot: published with the result
/// when the match ends (a Redis stream entry, JSON) and copied in batches into the services'
/// time-partitioned telemetry table. A shard that adopted the match reports what it saw from
/// the adoption on.
public struct MatchTelemetry: Codable, Sendable, Equatable {
    /// One kart's figures.
    public struct Player: Codable, Sendable, Equatable {
        public var slot: Int
        public var playerId: UInt64?
        /// Inputs queued in time for their tick.
        public var applied: UInt32 = 0
        /// Inputs for a tick already stepped (the client's lead was too short for its path).
        public var late: UInt32 = 0
        /// Copies of a queued input (a resume through another relay resends).
        public var duplicate: UInt32 = 0
        /// Inputs from the wrong relay or too far ahead.
        public var dropped: UInt32 = 0
        /// Ticks stepped with no input from this player (its last input held: every other
        /// client's prediction of this kart may need a correction).
        public var missing: UInt32 = 0
        /// Joins after the first (resumes, relay changes).
        public var rejoins: UInt32 = 0
        /// How many ticks ahead of their tick inputs arrived: sum and count for the mean, and
        /// the lowest (negative: late).
        public var marginSum: Int64 = 0
        public var marginCount: UInt32 = 0
        public var marginMin: Int32 = .max

        public init(slot: Int, playerId: UInt64?) { self.slot = slot; self.playerId = playerId }

        /// Mean margin in ticks (nil without arrivals).
        public var marginMean: Double? { marginCount == 0 ? nil : Double(marginSum) / Double(marginCount) }

        public mutating func arrived(ticksAhead: Int) {
            marginSum += Int64(ticksAhead)
            marginCount &+= 1
            marginMin = min(marginMin, Int32(clamping: ticksAhead))
        }
    }

    public var matchId: UInt64
    public var epoch: UInt64
    public var shardId: String
    public var track: String
    /// Ticks the shard stepped the match.
    public var ticks: UInt32
    public var players: [Player]

    public init(matchId: UInt64, epoch: UInt64, shardId: String, track: String, ticks: UInt32, players: [Player]) {
        self.matchId = matchId; self.epoch = epoch; self.shardId = shardId; self.track = track; self.ticks = ticks; self.players = players
    }
}
