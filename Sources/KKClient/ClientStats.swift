/// What a ``ClientSession`` measured, for the HUD, logs and tests. Distances in metres.
public struct ClientStats: Sendable, Equatable {
    // Round trip.
    public var rttMillis: Double = 0
    public var rttJitterMillis: Double = 0
    public var pingsSent = 0
    public var pongsReceived = 0
    // Downlink.
    public var framesReceived = 0
    public var framesFull = 0
    public var framesDelta = 0
    /// Frames the tick gaps say the relay sent (every `frameIntervalTicks`).
    public var framesExpected = 0
    public var bytesDown = 0
    /// Datagrams refused (wire, delta, baseline, unexpected).
    public var badPackets = 0
    // Uplink.
    public var inputPacketsSent = 0
    /// Inputs sent again after a resume, beyond the redundancy window (``ClientSession`` catch-up).
    public var catchUpInputsSent = 0
    /// Inputs generated (one per predicted tick).
    public var inputsRecorded = 0
    /// Inputs the shard confirmed applying (frame `lastAppliedSeq` advanced over them).
    public var inputsAcked = 0
    /// Authoritative ticks checked against the input the client recorded for them.
    public var inputChecks = 0
    /// ... of which the shard used another input (ours was lost or late).
    public var inputMisses = 0
    public var bytesUp = 0
    // Prediction.
    public var rollbacks = 0
    public var corrections = 0
    public var snaps = 0
    public var correctionsPerSecond: Double = 0
    public var correctionMeanMetres: Double = 0
    public var correctionP99Metres: Double = 0
    /// Frames compared with what the client had predicted for the same tick.
    public var predictionChecks = 0
    /// ... whose local kart position matched exactly.
    public var predictionExact = 0
    public var predictionErrorMeanMetres: Double = 0
    public var predictionErrorMaxMetres: Double = 0
    // Session.
    public var resumes = 0
    /// Fresh resume tickets received while playing (``ResumeTicketPacket``).
    public var ticketsRenewed = 0
    public var leadTicks = 0
    /// What the adaptive lead adds to (negative: takes from) the RTT formula's lead, ticks.
    public var leadAdjustTicks = 0
    /// The newest input margin the shard reported (ticks; nil before the first report).
    public var inputMargin: Int?
    public var outgoingDropped = 0

    public init() {}

    /// Downlink loss estimate, 0...1.
    public var downLoss: Double {
        framesExpected == 0 ? 0 : max(0, 1 - Double(framesReceived) / Double(framesExpected))
    }

    /// Uplink loss estimate after redundancy, 0...1: the share of ticks the shard stepped
    /// without our input.
    public var upLoss: Double { inputChecks == 0 ? 0 : Double(inputMisses) / Double(inputChecks) }

    /// Round-trip loss of pings, 0...1 (the one unanswered ping in flight is not counted).
    public var pingLoss: Double {
        pingsSent <= 1 ? 0 : max(0, 1 - Double(pongsReceived) / Double(pingsSent - 1))
    }
}

/// A fixed 1-cm histogram of distances (0 ... 10.23 m, the last bucket open-ended), for a
/// mean and a p99 without keeping samples. No allocation after init.
public struct DistanceHistogram: Sendable, Equatable {
    private var buckets = [Int](repeating: 0, count: 1024)
    public private(set) var count = 0
    public private(set) var sumMetres: Double = 0
    public private(set) var maxMetres: Double = 0

    public init() {}

    public mutating func add(q16 distance: Int64) {
        let m = Double(distance) / 65_536
        buckets[min(Int(distance * 100 / 65_536), buckets.count - 1)] += 1
        count += 1
        sumMetres += m
        maxMetres = max(maxMetres, m)
    }

    public var meanMetres: Double { count == 0 ? 0 : sumMetres / Double(count) }

    /// The upper edge of the bucket holding the `q` quantile.
    public func quantileMetres(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let target = Int((Double(count) * q).rounded(.up))
        var seen = 0
        for i in 0..<buckets.count {
            seen += buckets[i]
            if seen >= target { return min(Double(i + 1) / 100, maxMetres) }
        }
        return maxMetres
    }
}
