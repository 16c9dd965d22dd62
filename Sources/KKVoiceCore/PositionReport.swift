/// What a shard publishes a few times a second for the voice service (Redis pub/sub,
/// `<prefix>positions`), one text message per match:
/// `pos <match> <tick> <player>:<x>:<y> ...` (metres, one decimal; players without a kart
/// slot are left out), or `end <match>` once the match is over.
public enum PositionReport: Equatable, Sendable {
    case positions(match: UInt64, tick: UInt32, karts: [Int64: KartPosition])
    case ended(match: UInt64)

    /// At most this many karts per report (more is a malformed report).
    public static let maxKarts = 64

    /// The message text.
    public var text: String {
        switch self {
        case .ended(let m): return "end \(m)"
        case .positions(let m, let tick, let karts):
            var s = "pos \(m) \(tick)"
            for p in karts.keys.sorted() {
                let k = karts[p]!
                s += " \(p):\(Self.decimal(k.x)):\(Self.decimal(k.y))"
            }
            return s
        }
    }

    /// Appends a report of `karts` (player id, x, y) to `out` without building a dictionary:
    /// the shard's path.
    public static func append(match: UInt64, tick: UInt32, karts: some Sequence<(Int64, Double, Double)>, to out: inout String) {
        out += "pos \(match) \(tick)"
        for (p, x, y) in karts { out += " \(p):\(decimal(x)):\(decimal(y))" }
    }

    static func decimal(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let tenths = (v * 10).rounded()
        let sign = tenths < 0 ? "-" : ""
        let a = Int64(abs(tenths))
        return "\(sign)\(a / 10).\(a % 10)"
    }

    /// Parses a report; nil for anything malformed (counted and dropped by the service).
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: " ")
        guard parts.count >= 2, let m = UInt64(parts[1]) else { return nil }
        switch parts[0] {
        case "end":
            guard parts.count == 2 else { return nil }
            self = .ended(match: m)
        case "pos":
            guard parts.count >= 3, parts.count - 3 <= Self.maxKarts, let tick = UInt32(parts[2]) else { return nil }
            var karts: [Int64: KartPosition] = [:]
            for p in parts.dropFirst(3) {
                let f = p.split(separator: ":")
                guard f.count == 3, let id = Int64(f[0]), let x = Double(f[1]), let y = Double(f[2]), x.isFinite, y.isFinite,
                      karts[id] == nil else { return nil }
                karts[id] = KartPosition(x: x, y: y)
            }
            self = .positions(match: m, tick: tick, karts: karts)
        default:
            return nil
        }
    }
}
