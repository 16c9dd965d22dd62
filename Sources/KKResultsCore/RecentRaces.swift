/// A recorded race (the results service's `GET /v1/results/recent` rows).
public struct RecentRace: Codable, Sendable, Equatable {
    public struct Racer: Codable, Sendable, Equatable {
        public var slot: Int
        public var playerId: Int64?
        public var place: Int?
        public var finishTick: Int
        public var status: String
        /// Coins rewarded for this race (nil: none, or no economy).
        public var coins: Int?
        public init(slot: Int, playerId: Int64?, place: Int?, finishTick: Int, status: String, coins: Int?) {
            self.slot = slot; self.playerId = playerId; self.place = place; self.finishTick = finishTick; self.status = status; self.coins = coins
        }
    }
    public var matchId: Int64
    public var track: String
    public var laps: Int
    public var ticks: Int
    public var verified: Bool
    public var recordedAtUnix: Double
    public var racers: [Racer]
    public init(matchId: Int64, track: String, laps: Int, ticks: Int, verified: Bool, recordedAtUnix: Double, racers: [Racer]) {
        self.matchId = matchId; self.track = track; self.laps = laps; self.ticks = ticks; self.verified = verified
        self.recordedAtUnix = recordedAtUnix; self.racers = racers
    }

    /// The winner (place 1), if anyone finished.
    public var winner: Racer? { racers.first { $0.place == 1 } }
}

/// The results service's recent races document (`GET /v1/results/recent`).
public struct RecentRaces: Codable, Sendable, Equatable {
    public var recorded: Int
    public var verified: Int
    public var coins: Int
    public var races: [RecentRace]
    public init(recorded: Int, verified: Int, coins: Int, races: [RecentRace]) {
        self.recorded = recorded; self.verified = verified; self.coins = coins; self.races = races
    }
}
