import KKPhysics

/// Burst loss, the two-state Gilbert-Elliott model: each datagram first moves the path between
/// a good state (loss ``ImpairmentProfile/loss``) and a bad one (loss ``badLoss``), entering the
/// bad state with probability ``enterBad`` and leaving it with ``exitBad`` per datagram. Mean
/// burst length is 1 / exitBad datagrams; the share of datagrams in the bad state is
/// enterBad / (enterBad + exitBad). Wi-Fi interference and cellular handovers lose datagrams in
/// runs like this, which redundancy of a few packets does not cover.
public struct BurstLoss: Sendable, Equatable, Codable {
    public var enterBad: Double
    public var exitBad: Double
    public var badLoss: Double = 1

    public init(enterBad: Double, exitBad: Double, badLoss: Double = 1) {
        self.enterBad = enterBad; self.exitBad = exitBad; self.badLoss = badLoss
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enterBad = try c.decode(Double.self, forKey: .enterBad)
        exitBad = try c.decode(Double.self, forKey: .exitBad)
        badLoss = try c.decodeIfPresent(Double.self, forKey: .badLoss) ?? 1
    }

    /// Long-run loss rate with `goodLoss` in the good state.
    public func meanLoss(goodLoss: Double) -> Double {
        let bad = enterBad / (enterBad + exitBad)
        return bad * badLoss + (1 - bad) * goodLoss
    }
}

/// Delay spikes: with probability ``probability`` per datagram (while none is running) a spike
/// starts; for ``durationMillis`` every datagram takes ``extraMillis`` longer, in order (a
/// cellular scheduler stall, a Wi-Fi scan, bufferbloat behind an upload).
public struct DelaySpikes: Sendable, Equatable, Codable {
    public var probability: Double
    public var extraMillis: Double
    public var durationMillis: Double

    public init(probability: Double, extraMillis: Double, durationMillis: Double) {
        self.probability = probability; self.extraMillis = extraMillis; self.durationMillis = durationMillis
    }
}

/// What the network does to one direction of a client's path: fixed latency, jitter
/// (uniform +-jitter, order kept), loss, duplication and reordering (a reordered datagram is
/// held `reorderMillis` longer so later ones overtake it), and optionally burst loss and delay
/// spikes. Probabilities are 0...1.
public struct ImpairmentProfile: Sendable, Equatable, Codable {
    public var latencyMillis: Double = 0
    public var jitterMillis: Double = 0
    public var loss: Double = 0
    public var duplicate: Double = 0
    public var reorder: Double = 0
    public var reorderMillis: Double = 10
    /// Gilbert-Elliott burst loss on top of ``loss`` (which becomes the good state's loss).
    public var burst: BurstLoss?
    /// Delay spikes.
    public var spikes: DelaySpikes?

    public init(latencyMillis: Double = 0, jitterMillis: Double = 0, loss: Double = 0, duplicate: Double = 0,
                reorder: Double = 0, reorderMillis: Double = 10, burst: BurstLoss? = nil, spikes: DelaySpikes? = nil) {
        self.latencyMillis = latencyMillis; self.jitterMillis = jitterMillis; self.loss = loss
        self.duplicate = duplicate; self.reorder = reorder; self.reorderMillis = reorderMillis
        self.burst = burst; self.spikes = spikes
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
        burst = try c.decodeIfPresent(BurstLoss.self, forKey: .burst)
        spikes = try c.decodeIfPresent(DelaySpikes.self, forKey: .spikes)
    }

    /// True when the profile changes nothing.
    public var isNone: Bool {
        latencyMillis == 0 && jitterMillis == 0 && loss == 0 && duplicate == 0 && reorder == 0 && burst == nil && spikes == nil
    }

    /// Long-run loss rate (burst loss included).
    public var meanLoss: Double { burst?.meanLoss(goodLoss: loss) ?? loss }
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
            if let b = d.burst {
                for (f, v) in [("enterBad", b.enterBad), ("exitBad", b.exitBad), ("badLoss", b.badLoss)] where !(0...1).contains(v) {
                    p.append("impairment.\(n).burst.\(f) must be 0...1")
                }
                if b.exitBad == 0 { p.append("impairment.\(n).burst.exitBad must be > 0 (a bad state that never ends loses everything)") }
            }
            if let s = d.spikes {
                if !(0...1).contains(s.probability) { p.append("impairment.\(n).spikes.probability must be 0...1") }
                if s.extraMillis < 0 || s.durationMillis < 0 { p.append("impairment.\(n).spikes times must be >= 0") }
            }
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
    /// Gilbert-Elliott state.
    private var inBadState = false
    /// End of the running delay spike (0: none).
    private var spikeEndsMicros: Int64 = 0

    /// What happens to one datagram.
    public struct Verdict: Sendable, Equatable {
        /// nil: dropped.
        public var deliverAtMicros: Int64?
        /// A second copy's delivery time.
        public var duplicateAtMicros: Int64?
        public var reordered = false
        /// Dropped in the bad state of the burst model (a subset of the drops).
        public var burstDropped = false
        /// Delayed by a running spike.
        public var spiked = false
    }

    public init(profile: ImpairmentProfile, seed: UInt64) {
        self.profile = profile
        rng = SplitMix(seed: seed)
    }

    /// Decides the fate of a datagram that arrives at `nowMicros`. (Profiles without bursts or
    /// spikes draw exactly the random numbers they always did, so their seeds keep their streams.)
    public mutating func next(nowMicros: Int64) -> Verdict {
        let lossRoll = rng.unit(), dupRoll = rng.unit(), reorderRoll = rng.unit(), jitterRoll = rng.unit(), dupJitter = rng.unit()
        var lossRate = profile.loss
        var v = Verdict()
        if let b = profile.burst {
            let move = rng.unit()
            if inBadState { if move < b.exitBad { inBadState = false } } else if move < b.enterBad { inBadState = true }
            if inBadState { lossRate = b.badLoss }
        }
        var extra: Int64 = 0
        if let s = profile.spikes {
            let start = rng.unit()
            if nowMicros >= spikeEndsMicros, start < s.probability { spikeEndsMicros = nowMicros + Int64(s.durationMillis * 1000) }
            if nowMicros < spikeEndsMicros { extra = Int64(s.extraMillis * 1000); v.spiked = true }
        }
        if lossRoll < lossRate {
            v.burstDropped = inBadState
            return v
        }
        let jitter = Int64((jitterRoll * 2 - 1) * profile.jitterMillis * 1000)
        var at = nowMicros + Int64(profile.latencyMillis * 1000) + jitter + extra
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
