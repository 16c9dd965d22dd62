import KKPhysics
/// What the network does to one direction of a client's path: fixed latency, jitter
/// (uniform +-jitter, order kept), loss, duplication and reordering (a reordered datagram is
/// held `reorderMillis` longer so later ones overtake it). Probabilities are 0...1.
public struct ImpairmentProfile: Sendable, Equatable, Codable {
    public var latencyMillis: Double = 0
    public var jitterMillis: Double = 0
    public var loss: Double = 0
    public var duplicate: Double = 0
    public var reorder: Double = 0
    public var reorderMillis: Double = 10

    public init(latencyMillis: Double = 0, jitterMillis: Double = 0, loss: Double = 0, duplicate: Double = 0,
                reorder: Double = 0, reorderMillis: Double = 10) {
        self.latencyMillis = latencyMillis; self.jitterMillis = jitterMillis; self.loss = loss
        self.duplicate = duplicate; self.reorder = reorder; self.reorderMillis = reorderMillis
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latencyMillis = try c.decodeIfPresent(Double.self, forKey: .latencyMillis) ?? 0
        jitterMillis = try c.decodeIfPresent(Double.self, forKey: .jitterMillis) ?? 0
        loss = try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0
        duplicate = try c.decodeIfPresent(Double.self, forKey: .duplicate) ?? 0
        reorder = try c.decodeIfPresent(Double.self, forKey: .reorder) ?? 0
        reorderMillis = try c.decodeIfPresent(Double.self, forKey: .reorderMillis) ?? 10
    }

    /// True when the profile changes nothing.
    public var isNone: Bool { latencyMillis == 0 && jitterMillis == 0 && loss == 0 && duplicate == 0 && reorder == 0 }
}

/// Both directions of a client's path plus the seed of the per-client random streams.
public struct LinkImpairment: Sendable, Equatable, Codable {
    public var up = ImpairmentProfile()
    public var down = ImpairmentProfile()
    public var seed: UInt64 = 1

    public init(up: ImpairmentProfile = .init(), down: ImpairmentProfile = .init(), seed: UInt64 = 1) {
        self.up = up; self.down = down; self.seed = seed
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        up = try c.decodeIfPresent(ImpairmentProfile.self, forKey: .up) ?? up
        down = try c.decodeIfPresent(ImpairmentProfile.self, forKey: .down) ?? down
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
    }

    public var isNone: Bool { up.isNone && down.isNone }

    func validate() -> [String] {
        var p: [String] = []
        for (n, d) in [("up", up), ("down", down)] {
            for (f, v) in [("loss", d.loss), ("duplicate", d.duplicate), ("reorder", d.reorder)] where !(0...1).contains(v) {
                p.append("impairment.\(n).\(f) must be 0...1")
            }
            if d.latencyMillis < 0 || d.jitterMillis < 0 || d.reorderMillis < 0 { p.append("impairment.\(n) times must be >= 0") }
        }
        return p
    }
}

/// The seeded decision stream of one direction of one client's path: for each datagram, whether
/// it is dropped and when it (and maybe a duplicate) is delivered. Pure (time is an argument).
public struct ImpairmentModel: Sendable {
    public let profile: ImpairmentProfile
    private var rng: SplitMix
    private var lastDeliverMicros: Int64 = 0

    /// What happens to one datagram.
    public struct Verdict: Sendable, Equatable {
        /// nil: dropped.
        public var deliverAtMicros: Int64?
        /// A second copy's delivery time.
        public var duplicateAtMicros: Int64?
        public var reordered = false
    }

    public init(profile: ImpairmentProfile, seed: UInt64) {
        self.profile = profile
        rng = SplitMix(seed: seed)
    }

    /// Decides the fate of a datagram that arrives at `nowMicros`.
    public mutating func next(nowMicros: Int64) -> Verdict {
        let lossRoll = rng.unit(), dupRoll = rng.unit(), reorderRoll = rng.unit(), jitterRoll = rng.unit(), dupJitter = rng.unit()
        if lossRoll < profile.loss { return Verdict(deliverAtMicros: nil) }
        let jitter = Int64((jitterRoll * 2 - 1) * profile.jitterMillis * 1000)
        var at = nowMicros + Int64(profile.latencyMillis * 1000) + jitter
        var v = Verdict()
        if reorderRoll < profile.reorder {
            at = max(at, lastDeliverMicros) + Int64(profile.reorderMillis * 1000)
            v.reordered = true
        } else {
            at = max(at, lastDeliverMicros, nowMicros)
            lastDeliverMicros = at
        }
        v.deliverAtMicros = at
        if dupRoll < profile.duplicate { v.duplicateAtMicros = at + Int64(dupJitter * max(1, profile.jitterMillis) * 1000) }
        return v
    }
}

/// The impairment decisions use the project's one SplitMix64 (KKPhysics), same sequence.
public typealias SplitMix = SplitMix64

extension SplitMix64 {
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
