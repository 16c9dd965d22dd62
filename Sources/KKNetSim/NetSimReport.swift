/// Correction-quality figures of one simulation run (all clients together).
public struct NetSimReport: Sendable, CustomStringConvertible {
    public var clients = 0
    public var seconds = 0.0
    /// Client lead over the server, ticks.
    public var leadTicks = 0
    /// Visual corrections of the local kart (correction > 0) per client per second.
    public var mispredictionsPerSecond = 0.0
    /// Reconciliations that had to roll back (any state difference) per client per second.
    public var rollbacksPerSecond = 0.0
    /// Correction distance over corrections, metres.
    public var correctionMean = 0.0
    public var correctionP99 = 0.0
    public var correctionMax = 0.0
    /// Corrections above the snap threshold.
    public var snaps = 0
    /// Re-simulated ticks per rollback.
    public var rollbackDepthMean = 0.0
    public var rollbackDepthMax = 0
    /// Rendered frames until the smoothed offset settled (< 1 cm) after a correction.
    public var framesToConvergeMean = 0.0
    public var framesToConvergeP99 = 0.0
    /// Authoritative frames applied / arriving stale / failing to decode.
    public var framesApplied = 0
    public var framesStale = 0
    public var decodeErrors = 0
    /// Server-side inputs substituted by the missing-input policy, per client per second.
    public var missingInputsPerSecond = 0.0
    public var lateInputs = 0
    /// Downlink payload per client, kbit/s, and mean / full frame size in bytes.
    public var downlinkKbpsPerClient = 0.0
    public var meanFrameBytes = 0.0
    public var fullFrameBytes = 0
    /// Remote-kart interpolation samples that ran past the newest snapshot.
    public var interpolationUnderrunRate = 0.0
    /// Final race phase reached by the server (sanity).
    public var serverTicks = 0

    public var description: String {
        func f(_ v: Double) -> String { String(Double(Int(v * 1000)) / 1000) }
        return """
        clients \(clients), \(f(seconds)) s, lead \(leadTicks) ticks
        mispredictions/s/client \(f(mispredictionsPerSecond)), rollbacks/s/client \(f(rollbacksPerSecond))
        correction mean \(f(correctionMean)) m, p99 \(f(correctionP99)) m, max \(f(correctionMax)) m, snaps \(snaps)
        rollback depth mean \(f(rollbackDepthMean)), max \(rollbackDepthMax)
        frames to converge mean \(f(framesToConvergeMean)), p99 \(f(framesToConvergeP99))
        frames applied \(framesApplied), stale \(framesStale), decode errors \(decodeErrors)
        missing inputs/s/client \(f(missingInputsPerSecond))
        downlink \(f(downlinkKbpsPerClient)) kbps/client, mean frame \(f(meanFrameBytes)) B, full \(fullFrameBytes) B
        interpolation underrun rate \(f(interpolationUnderrunRate))
        """
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let idx = min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded(.up)))
        return sorted[idx]
    }
}
