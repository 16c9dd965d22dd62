/// A kart's position on the track plane (world units, as ``ProximityModel`` distances).
public struct KartPosition: Codable, Sendable, Equatable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x; self.y = y
    }

    /// Euclidean distance.
    public func distance(to other: KartPosition) -> Double {
        let dx = x - other.x, dy = y - other.y
        return (dx * dx + dy * dy).squareRoot()
    }
}

/// Two players, the lower id first: a link (peer connection) is symmetric.
public struct VoicePair: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let a: Int64
    public let b: Int64

    /// Orders the two ids (`a` < `b`); `x` and `y` should differ.
    public init(_ x: Int64, _ y: Int64) {
        (a, b) = x <= y ? (x, y) : (y, x)
    }

    public func contains(_ player: Int64) -> Bool { a == player || b == player }

    /// The other one of the pair (`player` must be `a` or `b`).
    public func other(than player: Int64) -> Int64 { player == a ? b : a }

    public static func < (l: VoicePair, r: VoicePair) -> Bool { (l.a, l.b) < (r.a, r.b) }

    public var description: String { "(\(a),\(b))" }
}

/// What one ``ProximityTracker/update(positions:parties:)`` changed.
public struct ProximityChanges: Sendable, Equatable {
    /// Pairs that just linked, sorted: each side should open a peer connection to the other.
    public var connects: [VoicePair] = []
    /// Pairs that just unlinked (out of range, or one of them left), sorted.
    public var disconnects: [VoicePair] = []
    /// Listeners whose audible set changed (a speaker in or out) or whose gains moved by more
    /// than ``ProximityTracker/gainStep`` since last reported: their whole new set, by player id.
    public var audible: [Int64: [Speaker]] = [:]

    public init(connects: [VoicePair] = [], disconnects: [VoicePair] = [], audible: [Int64: [Speaker]] = [:]) {
        self.connects = connects; self.disconnects = disconnects; self.audible = audible
    }

    public var isEmpty: Bool { connects.isEmpty && disconnects.isEmpty && audible.isEmpty }

    /// The changes as signalling messages, each with its addressee: `disconnect`s to both sides,
    /// then `connect`s to both sides (the lower id is the initiator), then `audible` sets by
    /// listener id. A player who left the match is still addressed (the service drops what it
    /// cannot deliver).
    public func messages() -> [(player: Int64, message: VoiceMessage)] {
        var out: [(player: Int64, message: VoiceMessage)] = []
        out.reserveCapacity(2 * (connects.count + disconnects.count) + audible.count)
        for p in disconnects {
            out.append((p.a, .disconnect(peer: p.b)))
            out.append((p.b, .disconnect(peer: p.a)))
        }
        for p in connects {
            out.append((p.a, .connect(peer: p.b, initiator: true)))
            out.append((p.b, .connect(peer: p.a, initiator: false)))
        }
        for listener in audible.keys.sorted() {
            out.append((listener, .audible(audible[listener]!)))
        }
        return out
    }
}
