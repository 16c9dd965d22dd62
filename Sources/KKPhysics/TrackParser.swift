/// Parses the small text track format (one directive per line, `#` comments):
///
///     track <name>
///     laps <n>
///     width <metres>
///     point <x metres> <y metres>      (repeated, in driving order, closed implicitly)
///     checkpoints <vertex index>...    (first must be 0: the start/finish line)
///
/// Numbers are decimal with up to 4 fractional digits, converted exactly to Q16.16.
public enum TrackParser {
    public static func parse(_ text: String) throws(PhysicsError) -> Track {
        var name: String?
        var laps: UInt8 = 3
        var width: Int32?
        var points: [Track.Point] = []
        var checkpoints: [Int] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let head = words.first else { continue }
            let args = words.dropFirst()
            switch head {
            case "track":
                guard args.count == 1 else { throw .badTrack(line: lineNo, reason: "track <name>") }
                name = String(args.first!)
            case "laps":
                guard args.count == 1, let n = UInt8(args.first!), n >= 1 else { throw .badTrack(line: lineNo, reason: "laps") }
                laps = n
            case "width":
                guard args.count == 1, let w = fixed(args.first!) else { throw .badTrack(line: lineNo, reason: "width") }
                width = w / 2
            case "point":
                guard args.count == 2, let x = fixed(args[args.startIndex]), let y = fixed(args[args.startIndex + 1]) else {
                    throw .badTrack(line: lineNo, reason: "point <x> <y>")
                }
                points.append(Track.Point(x: x, y: y))
            case "checkpoints":
                for a in args {
                    guard let v = Int(a) else { throw .badTrack(line: lineNo, reason: "checkpoint index") }
                    checkpoints.append(v)
                }
            default:
                throw .badTrack(line: lineNo, reason: "unknown directive")
            }
        }
        guard let name, let width else { throw .badTrack(line: lineNo, reason: "missing track or width") }
        return try Track(name: name, laps: laps, halfWidth: width, points: points, checkpoints: checkpoints)
    }

    /// Parses `-12.5` style decimals into Q16.16 (round to nearest); nil if malformed or out of range.
    public static func fixed<S: StringProtocol>(_ s: S) -> Int32? {
        var chars = Substring(s)
        var negative = false
        if chars.first == "-" { negative = true; chars = chars.dropFirst() }
        let parts = chars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let intPart = parts.first, !intPart.isEmpty, intPart.count <= 5, let whole = Int64(intPart),
              intPart.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var value = whole * 65_536
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 4, frac.allSatisfy({ $0.isASCII && $0.isNumber }), let f = Int64(frac) else { return nil }
            var scale: Int64 = 1
            for _ in 0..<frac.count { scale *= 10 }
            value += (f * 65_536 + scale / 2) / scale
        }
        if negative { value = -value }
        guard value >= Int64(Int32.min) && value <= Int64(Int32.max) else { return nil }
        return Int32(value)
    }
}
