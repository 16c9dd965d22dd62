/// Overflow-safe ordering of wrapping 32-bit sequence numbers (RFC 1982 serial arithmetic):
/// `a` is newer than `b` when `a - b` (wrapping) is in 1...2^31-1.
public enum Serial {
    /// Signed distance from `b` to `a`; positive when `a` is newer.
    @inlinable
    public static func distance(_ a: UInt32, from b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

    /// `a` is strictly newer than `b`.
    @inlinable
    public static func isNewer(_ a: UInt32, than b: UInt32) -> Bool { distance(a, from: b) > 0 }
}
