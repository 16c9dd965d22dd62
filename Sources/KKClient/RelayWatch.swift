import Foundation

/// When a silent relay counts as dead (pure): the client then resumes on the next relay (or the
/// same anycast address). The silence allowed follows what the client measures rather than a
/// fixed multi-second wait:
///
/// - frames are expected every frame interval; at the downlink loss measured (frames the tick
///   gaps say were sent vs received, smoothed), `n` frames lost in a row happen with probability
///   `loss^n`; `n` is the smallest count whose chance stays under ``falseAlarm``;
/// - plus a round trip and four jitters (a probe's answer, see below), within
///   [``floorMillis``, ``ceilingMillis``].
///
/// Frames also stop when the relay lives but the match does not (a shard adopting): so silence
/// first makes the client **probe** (a ping every ``probeEveryMillis`` once a third of the
/// allowed silence passed; the relay answers pings whatever the shard does), and only a relay
/// that answers nothing, frames or pings, is declared dead.
public struct RelayWatch: Sendable, Equatable {
    public var floorMillis: Double = 250
    public var ceilingMillis: Double = 3_000
    /// Accepted chance that the silence allowed ends by loss alone (per frame interval).
    public var falseAlarm: Double = 1e-9
    public var probeEveryMillis: Double = 100
    /// Downlink loss, smoothed over one-second windows (starts at 2%).
    public private(set) var loss: Double = 0.02
    private var lastExpected = 0, lastReceived = 0

    public init() {}

    /// Feeds the session's frame counters (about once a second).
    public mutating func observe(framesExpected: Int, framesReceived: Int) {
        let e = framesExpected - lastExpected, r = framesReceived - lastReceived
        lastExpected = framesExpected; lastReceived = framesReceived
        guard e >= 5 else { return }  // too few frames to say anything (or counters went back)
        let window = min(1, max(0, Double(e - r) / Double(e)))
        // Up fast (a worse path must not cause false switches), down slowly.
        loss = window > loss ? loss + (window - loss) / 2 : loss + (window - loss) / 8
    }

    /// Frames lost in a row that loss alone would explain less often than ``falseAlarm``.
    public var framesInARow: Int {
        let p = min(max(loss, 0.01), 0.8)
        return Int((log(falseAlarm) / log(p)).rounded(.up))
    }

    /// The silence allowed before the relay is declared dead, ms.
    public func timeoutMillis(frameIntervalMillis: Double, rttMillis: Double, jitterMillis: Double) -> Double {
        let t = Double(framesInARow) * frameIntervalMillis + rttMillis + 4 * jitterMillis
        return min(ceilingMillis, max(floorMillis, t))
    }

    /// Whether to send a probe (a ping) now: silent for a third of the allowed silence and the
    /// last probe `probeEveryMillis` ago.
    public func shouldProbe(silentMillis: Double, sinceProbeMillis: Double, timeoutMillis: Double) -> Bool {
        silentMillis >= timeoutMillis / 3 && sinceProbeMillis >= probeEveryMillis
    }
}
