@_exported import struct KKPhysics.SplitMix64

/// Helpers for byte-level tests.
public enum Hex {
    /// Lowercase hex of `bytes`.
    public static func string(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hex string; whitespace is ignored. Nil on a bad digit or odd length.
    public static func bytes(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8).filter { $0 != 32 && $0 != 10 && $0 != 9 && $0 != 13 }
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}

/// Byte mutations for fuzz-style tests: flip, set, insert, delete, truncate, splice.
public enum Mutator {
    public static func mutate(_ input: [UInt8], rng: inout SplitMix64, maxLength: Int = 1400) -> [UInt8] {
        var b = input
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !b.isEmpty:
                let i = Int.random(in: 0..<b.count, using: &rng)
                b[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !b.isEmpty:
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2 where b.count < maxLength:
                b.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
            case 3 where !b.isEmpty:
                b.remove(at: Int.random(in: 0..<b.count, using: &rng))
            case 4 where !b.isEmpty:
                b.removeLast(Int.random(in: 1...b.count, using: &rng))
            case 5:
                let n = Int.random(in: 0...32, using: &rng)
                b.append(contentsOf: (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
            default:
                if !b.isEmpty {
                    let i = Int.random(in: 0..<b.count, using: &rng)
                    b[i] = [0, 0xFF, 0x7F, 0x80, 0x20][Int.random(in: 0..<5, using: &rng)]
                }
            }
        }
        return b
    }
}
