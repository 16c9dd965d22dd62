/// A key the game cares about.
public enum Key: Equatable, Sendable {
    case up, down, left, right, drift, boost, quit
}

/// Turns raw terminal bytes (raw mode, no echo) into keys: arrows as `ESC [ A..D` or
/// `ESC O A..D`, WASD (either case), space = drift, `b` = boost, `q` / Ctrl-C = quit.
/// An escape sequence split across reads is completed by the next call; other bytes are
/// ignored.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Decodes one read's bytes, appending the keys to `keys`.
    public mutating func feed(_ bytes: some Sequence<UInt8>, into keys: inout [Key]) {
        for b in bytes {
            if !pending.isEmpty {
                pending.append(b)
                if pending.count == 2 {
                    if b != UInt8(ascii: "[") && b != UInt8(ascii: "O") { pending.removeAll(); single(b, into: &keys) }
                    continue
                }
                switch b {
                case UInt8(ascii: "A"): keys.append(.up)
                case UInt8(ascii: "B"): keys.append(.down)
                case UInt8(ascii: "C"): keys.append(.right)
                case UInt8(ascii: "D"): keys.append(.left)
                default: if b < 0x40 && pending.count < 8 { continue }   // parameters of a longer sequence
                }
                pending.removeAll()
                continue
            }
            if b == 0x1B { pending = [b]; continue }
            single(b, into: &keys)
        }
    }

    private func single(_ b: UInt8, into keys: inout [Key]) {
        switch b {
        case UInt8(ascii: "w"), UInt8(ascii: "W"): keys.append(.up)
        case UInt8(ascii: "s"), UInt8(ascii: "S"): keys.append(.down)
        case UInt8(ascii: "a"), UInt8(ascii: "A"): keys.append(.left)
        case UInt8(ascii: "d"), UInt8(ascii: "D"): keys.append(.right)
        case UInt8(ascii: " "): keys.append(.drift)
        case UInt8(ascii: "b"), UInt8(ascii: "B"): keys.append(.boost)
        case UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x03: keys.append(.quit)
        default: break
        }
    }
}
