/// The soft currency a verified race pays each racer, by finishing place (pure).
/// Unverified races pay nothing: rewards are granted only in the transaction that records a
/// verified result, once per match and player (ledger key `reward:<match>:<player>`).
public struct RaceRewards: Sendable, Equatable {
    /// By place: 1st, 2nd, 3rd; every later finisher gets `finisher`.
    public var podium: [Int64] = [100, 70, 50]
    public var finisher: Int64 = 30
    /// A racer who did not finish (still raced).
    public var didNotFinish: Int64 = 10

    public init() {}

    /// What `place` (nil: did not finish) pays.
    public func amount(place: Int?) -> Int64 {
        guard let place, place >= 1 else { return didNotFinish }
        return place <= podium.count ? podium[place - 1] : finisher
    }

    /// The ledger's idempotency key of one racer's reward for one match.
    public static func key(matchId: Int64, playerId: Int64) -> String { "reward:\(matchId):\(playerId)" }
}
