/// Round-trip time from ping/pong pairs: exponentially weighted mean (1/8) and mean deviation
/// (1/4), as TCP's SRTT/RTTVAR (RFC 6298), in microseconds.
public struct RttEstimator: Sendable, Equatable {
    public private(set) var smoothedMicros: Int64 = 0
    public private(set) var jitterMicros: Int64 = 0
    public private(set) var samples = 0

    public init() {}

    public mutating func add(sampleMicros s: Int64) {
        let s = max(0, s)
        if samples == 0 {
            smoothedMicros = s
            jitterMicros = s / 2
        } else {
            jitterMicros += (abs(s - smoothedMicros) - jitterMicros) / 4
            smoothedMicros += (s - smoothedMicros) / 8
        }
        samples += 1
    }
}
