/// What a shard tells Agones' SDK sidecar, decided from what the shard knows (pure; the I/O is
/// `KKShard.AgonesSDK`). Matches are placed by our own allocator (Redis), so the shard keeps
/// Agones' view in step with it:
///
/// - `Ready` once the shard is registered and ready (and again when its last match ended), so
///   the fleet counts it as spare capacity;
/// - `Allocate` while it hosts a match: Agones never scales an Allocated game server down, so a
///   fleet shrinking never kills a race;
/// - the label `matches` (Agones stores it as `agones.dev/sdk-matches`) whenever the count changes;
/// - `Health` every `healthEveryMillis` while it runs;
/// - `Shutdown` once, when it exits (drained).
///
/// A call that failed is made again on the next round (the sidecar may start after the shard).
public struct AgonesPolicy: Sendable {
    /// One SDK call.
    public enum Call: Sendable, Equatable {
        case ready, allocate, health, shutdown
        case label(key: String, value: String)
    }

    /// What the shard knows now.
    public struct Facts: Sendable, Equatable {
        public var ready = false
        public var matches = 0
        public var draining = false
        public var exiting = false
        public init(ready: Bool = false, matches: Int = 0, draining: Bool = false, exiting: Bool = false) {
            self.ready = ready; self.matches = matches; self.draining = draining; self.exiting = exiting
        }
    }

    public let healthEveryMillis: UInt64
    /// What Agones was last told successfully.
    public private(set) var markedReady = false
    public private(set) var allocated = false
    public private(set) var labelledMatches: Int?
    public private(set) var shutdownSent = false
    private var lastHealthMillis: UInt64?

    public init(healthEveryMillis: UInt64 = 2_000) { self.healthEveryMillis = healthEveryMillis }

    /// The calls to make now.
    public func calls(_ f: Facts, nowMillis: UInt64) -> [Call] {
        if shutdownSent { return [] }
        if f.exiting { return [.shutdown] }
        var out: [Call] = []
        if lastHealthMillis.map({ nowMillis >= $0 + healthEveryMillis }) ?? true { out.append(.health) }
        if labelledMatches != f.matches { out.append(.label(key: "matches", value: "\(f.matches)")) }
        if f.ready && !f.draining {
            if f.matches > 0 && !allocated { out.append(.allocate) }
            if f.matches == 0 && (!markedReady || allocated) { out.append(.ready) }
        }
        return out
    }

    /// `call` went through at `nowMillis`.
    public mutating func succeeded(_ call: Call, nowMillis: UInt64) {
        switch call {
        case .health: lastHealthMillis = nowMillis
        case .ready: markedReady = true; allocated = false
        case .allocate: allocated = true
        case .shutdown: shutdownSent = true
        case .label(let key, let value): if key == "matches" { labelledMatches = Int(value) }
        }
    }
}
