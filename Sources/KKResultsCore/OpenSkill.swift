import Foundation

/// A player's skill in the Weng-Lin model: mean `mu` and uncertainty `sigma`; `ordinal`
/// (mu - 3 sigma) is the conservative figure to rank and match by.
public struct SkillRating: Codable, Sendable, Equatable {
    public var mu: Double
    public var sigma: Double

    public init(mu: Double = PlackettLuce.defaultMu, sigma: Double = PlackettLuce.defaultSigma) { self.mu = mu; self.sigma = sigma }

    public var ordinal: Double { mu - 3 * sigma }
}

/// The Weng-Lin Plackett-Luce rating update (Weng and Lin, JMLR 12, 2011, algorithm 4) for
/// free-for-all races, as the `openskill` package (PyPI, 6.2.0) computes it with its defaults
/// (mu 25, sigma 25/3, beta 25/6, kappa 0.0001, tau 25/300, no sigma limit, no balance, no
/// margin): every racer is a team of one. Checked against the package on the same inputs in a
/// test. One difference in shape only: ranks are given as places (1 = first; equal places tie),
/// as `openskill`'s `ranks`. Like the package's 6.2.0 release, tied racers' mean changes are not
/// averaged (its averaging step reads back the values it has just written).
public struct PlackettLuce: Sendable {
    public static let defaultMu = 25.0
    public static let defaultSigma = 25.0 / 3.0
    public var beta = 25.0 / 6.0
    public var kappa = 0.0001
    public var tau = 25.0 / 300.0

    public init() {}

    /// The new ratings of `players` after a race they finished in `places` (same order).
    public func rate(_ players: [SkillRating], places: [Int]) -> [SkillRating] {
        precondition(players.count == places.count && players.count >= 2, "at least two racers, one place each")
        let n = players.count
        // Uncertainty grows a little with time (tau) before each update.
        let sigma = players.map { ($0.sigma * $0.sigma + tau * tau).squareRoot() }
        let mu = players.map(\.mu)
        let c = (0..<n).reduce(0.0) { $0 + sigma[$1] * sigma[$1] + beta * beta }.squareRoot()
        let e = mu.map { exp($0 / c) }
        // sumQ[q]: the strength of everyone placed at or behind q; a[q]: how many share q's place.
        let sumQ = (0..<n).map { q in (0..<n).reduce(0.0) { places[$1] >= places[q] ? $0 + e[$1] : $0 } }
        let a = (0..<n).map { q in Double(places.filter { $0 == places[q] }.count) }
        return (0..<n).map { i in
            var omega = 0.0, delta = 0.0
            for q in 0..<n where places[q] <= places[i] {
                let x = e[i] / sumQ[q]
                delta += x * (1 - x) / a[q]
                omega += q == i ? (1 - x) / a[q] : -x / a[q]
            }
            let s2 = sigma[i] * sigma[i]
            omega *= s2 / c
            delta *= s2 / (c * c)
            delta *= sigma[i] / c  // gamma
            return SkillRating(mu: mu[i] + omega, sigma: sigma[i] * max(1 - delta, kappa).squareRoot())
        }
    }
}
