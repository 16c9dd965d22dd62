/// Counters of one shard, owned by its loop thread and exported as metrics.
public struct ShardCounters: Sendable {
    public var inputsApplied = 0
    /// Inputs whose tick was already stepped when they arrived: the player's input lead was too
    /// short for its path (the frames' input margin tells the client).
    public var inputsLate = 0
    /// Copies of an input already queued for its tick (a resume through another relay).
    public var inputsDuplicate = 0
    /// Inputs too far in the future, for an unknown match, or for a player not joined via that relay.
    public var inputsDropped = 0
    /// Packets from relays that were dropped, by reason (``ShardDropReason``).
    public var drops = [Int](repeating: 0, count: ShardDropReason.allCases.count)
    public var joinsAccepted = 0
    public var joinsRefused = 0
    public var framesSent = 0
    public var frameBytesSent = 0
    public var ticks = 0
    /// Timer wake-ups that had to step more than one tick to catch up.
    public var tickOverruns = 0
    public var matchesAdopted = 0
    /// Matches not hosted because their allocation pins a track version this shard lacks.
    public var matchesRefused = 0

    public init() {}

    public mutating func drop(_ r: ShardDropReason) { drops[r.rawValue] += 1 }
    public func drops(_ r: ShardDropReason) -> Int { drops[r.rawValue] }
}
