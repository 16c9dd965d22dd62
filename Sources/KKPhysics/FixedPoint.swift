/// Q16.16 fixed-point helpers used by the deterministic simulation.
///
/// Positions are Q16.16 metres and velocities Q16.16 metres per tick, stored as `Int32`.
/// All intermediate arithmetic is done in `Int64`; helpers never trap on any input
/// (wrapping operators where overflow is conceivable, clamps elsewhere).
public enum Fx {
    /// 1.0 in Q16.16.
    public static let one: Int64 = 65_536
    /// Half of `one`, used for round-to-nearest.
    @usableFromInline static let half: Int64 = 32_768

    /// Converts whole metres to Q16.16.
    @inlinable public static func metres(_ m: Int) -> Int32 { Int32(truncatingIfNeeded: m &* 65_536) }

    /// Q16.16 multiply with round-to-nearest (ties towards +infinity). Wrapping, never traps.
    @inlinable public static func mul(_ a: Int64, _ b: Int64) -> Int64 {
        (a &* b &+ half) >> 16
    }

    /// Clamps `v` to `lo...hi`.
    @inlinable public static func clamp(_ v: Int64, _ lo: Int64, _ hi: Int64) -> Int64 {
        v < lo ? lo : (v > hi ? hi : v)
    }

    /// Saturating conversion to `Int32`.
    @inlinable public static func sat32(_ v: Int64) -> Int32 {
        Int32(clamp(v, Int64(Int32.min), Int64(Int32.max)))
    }

    /// Integer square root (floor) of a non-negative value; negative inputs yield 0.
    /// Bit-by-bit method: exact and identical on every machine.
    @inlinable public static func isqrt(_ value: Int64) -> Int64 {
        if value <= 0 { return 0 }
        var n = UInt64(value)
        var result: UInt64 = 0
        var bit: UInt64 = 1 << 62
        while bit > n { bit >>= 2 }
        while bit != 0 {
            if n >= result &+ bit {
                n &-= result &+ bit
                result = (result >> 1) &+ bit
            } else {
                result >>= 1
            }
            bit >>= 2
        }
        return Int64(result)
    }

    /// Division rounding towards zero that returns 0 for a zero divisor and cannot overflow-trap.
    @inlinable public static func div(_ a: Int64, _ b: Int64) -> Int64 {
        if b == 0 { return 0 }
        if b == -1 { return 0 &- a }
        return a / b
    }
}
