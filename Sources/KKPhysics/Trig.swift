/// Binary-angle trigonometry computed with integer code only.
///
/// Angles are `UInt16` binary angles: 65 536 units per turn, 0 = +x, 16 384 = +y
/// (counter-clockwise). Sine and cosine come from a quarter-wave table of Q16.16 values
/// generated at first use by an integer Taylor series, so every machine builds the exact
/// same table; no floating point is involved anywhere.
public enum Trig {
    /// Quarter wave: `quarter[i] = round(sin(i * 2π / 65536) * 65536)` for i in 0...16384.
    @usableFromInline static let quarter: [Int32] = {
        var table = [Int32](repeating: 0, count: 16_385)
        // π in Q60 would overflow products; use Q30 arithmetic throughout.
        let piQ30: Int64 = 3_373_259_426  // round(π * 2^30)
        for i in 0...16_384 {
            // x = i * π / 32768 in Q30
            let x = (Int64(i) * piQ30 + 16_384) / 32_768
            let x2 = (x * x + (1 << 29)) >> 30
            var term = x
            var sum = x
            var n: Int64 = 3
            while n <= 17 {
                term = -((term * x2 + (1 << 29)) >> 30) / ((n - 1) * n)
                sum += term
                n += 2
            }
            table[i] = Int32((sum + (1 << 13)) >> 14)
        }
        table[16_384] = 65_536
        return table
    }()

    /// sin(angle) in Q16.16.
    @inlinable public static func sin(_ angle: UInt16) -> Int64 {
        let a = Int(angle)
        switch a >> 14 {
        case 0: return Int64(quarter[a])
        case 1: return Int64(quarter[32_768 - a])
        case 2: return -Int64(quarter[a - 32_768])
        default: return -Int64(quarter[65_536 - a])
        }
    }

    /// cos(angle) in Q16.16.
    @inlinable public static func cos(_ angle: UInt16) -> Int64 {
        sin(angle &+ 16_384)
    }

    /// atan(2^-i) in 1/256 binary-angle units, for CORDIC vectoring (committed constants).
    static let cordicAngles: [Int64] = [
        2_097_152, 1_238_021, 654_136, 332_050, 166_669, 83_416, 41_718, 20_860, 10_430, 5_215,
        2_608, 1_304, 652, 326, 163, 81, 41, 20, 10, 5, 3, 1, 1,
    ]

    /// The binary angle of the vector (x, y), by integer CORDIC (within ±1 unit).
    /// Returns 0 for the zero vector. Large inputs are scaled down first.
    public static func atan2(y: Int64, x: Int64) -> UInt16 {
        if x == 0 && y == 0 { return 0 }
        var x = x, y = y
        while x.magnitude >= 1 << 36 || y.magnitude >= 1 << 36 { x >>= 1; y >>= 1 }
        x <<= 24; y <<= 24
        var angle: Int64 = 0
        if x < 0 { x = -x; y = -y; angle = 32_768 << 8 }
        for i in 0..<cordicAngles.count {
            let nx: Int64, ny: Int64
            if y > 0 {
                nx = x + (y >> i); ny = y - (x >> i); angle += cordicAngles[i]
            } else {
                nx = x - (y >> i); ny = y + (x >> i); angle -= cordicAngles[i]
            }
            x = nx; y = ny
        }
        return UInt16(truncatingIfNeeded: (angle + 128) >> 8)
    }
}
