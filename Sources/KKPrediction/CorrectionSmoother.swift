/// Smooths visual corrections of the local kart: after a rollback moves the predicted
/// position by an error vector, the renderer shows `predicted + offset`, and the offset
/// decays exponentially each rendered frame — by 0.95 per frame while small, by 0.85 once
/// larger than `largeThreshold` — and is dropped (snap) when above `snapThreshold`.
/// Integer Q16.16 arithmetic, so it is deterministic too.
public struct CorrectionSmoother: Sendable {
    public struct Config: Equatable, Sendable {
        /// Per-frame keep factor for small offsets, Q16 (0.95).
        public var smallDecay: Int64 = 62_259
        /// Per-frame keep factor for large offsets, Q16 (0.85).
        public var largeDecay: Int64 = 55_706
        /// Offsets above this use `largeDecay`: 1 m.
        public var largeThreshold: Int64 = 65_536
        /// Offsets above this snap to zero: 4 m.
        public var snapThreshold: Int64 = 4 * 65_536
        /// Offsets below this count as converged and are cleared: 1 cm.
        public var settleThreshold: Int64 = 655
        public init() {}
    }

    public let config: Config
    /// Current visual offset, Q16.16 metres.
    public private(set) var offsetX: Int64 = 0
    public private(set) var offsetY: Int64 = 0
    /// Frames since the last correction was added (for "frames to converge").
    public private(set) var framesSinceCorrection = 0

    public init(config: Config = Config()) { self.config = config }

    /// Length of the offset, Q16.16 metres.
    public var magnitude: Int64 {
        CorrectionSmoother.length(offsetX, offsetY)
    }

    public var isSettled: Bool { offsetX == 0 && offsetY == 0 }

    /// Adds a correction: the old predicted position minus the new one. Returns true
    /// when the resulting offset exceeded `snapThreshold` and was dropped.
    @discardableResult
    public mutating func add(errorX: Int64, errorY: Int64) -> Bool {
        offsetX += errorX
        offsetY += errorY
        framesSinceCorrection = 0
        if magnitude > config.snapThreshold {
            offsetX = 0; offsetY = 0
            return true
        }
        return false
    }

    /// One rendered frame of decay.
    public mutating func decay() {
        guard !isSettled else { return }
        framesSinceCorrection += 1
        let m = magnitude
        let keep = m > config.largeThreshold ? config.largeDecay : config.smallDecay
        offsetX = (offsetX * keep) >> 16
        offsetY = (offsetY * keep) >> 16
        if magnitude < config.settleThreshold { offsetX = 0; offsetY = 0 }
    }

    /// Euclidean length of a Q16.16 vector (integer square root).
    public static func length(_ x: Int64, _ y: Int64) -> Int64 {
        let ax = min(abs(x), 1 << 30), ay = min(abs(y), 1 << 30)
        var r: Int64 = 0, v = ax * ax + ay * ay
        // Integer sqrt, bit by bit.
        var bit: Int64 = 1 << 62
        while bit > v { bit >>= 2 }
        while bit != 0 {
            if v >= r + bit { v -= r + bit; r = (r >> 1) + bit } else { r >>= 1 }
            bit >>= 2
        }
        return r
    }
}
