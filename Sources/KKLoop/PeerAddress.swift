import Glibc

/// A UDP peer address (IPv4 or IPv6) as a small value type: usable as a dictionary key with
/// no allocation, and convertible to and from `sockaddr`.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// Raw `sockaddr_in` / `sockaddr_in6` bytes (28 bytes hold either), zero-padded.
    @usableFromInline var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt32 = 0
    /// Length of the sockaddr.
    public private(set) var length: UInt32 = 0

    public init() {}

    /// From a `sockaddr` of `length` bytes (at most 28).
    public init(sockaddr p: UnsafeRawPointer, length: UInt32) {
        let n = min(Int(length), 28)
        withUnsafeMutableBytes(of: &self) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: p, count: n))
        }
        self.length = UInt32(n)
    }

    /// Parses "a.b.c.d" or an IPv6 literal and a port.
    public init?(host: String, port: UInt16) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self.init(sockaddr: &v4, length: UInt32(MemoryLayout<sockaddr_in>.size))
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            self.init(sockaddr: &v6, length: UInt32(MemoryLayout<sockaddr_in6>.size))
            return
        }
        return nil
    }

    /// Parses "host:port" or "[v6]:port".
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" { host = "127.0.0.1" }
        self.init(host: host, port: port)
    }

    /// Address family (AF_INET / AF_INET6).
    public var family: Int32 { Int32(UInt16(truncatingIfNeeded: a)) }

    public var port: UInt16 { UInt16(bigEndian: UInt16(truncatingIfNeeded: a >> 16)) }

    /// Calls `body` with the sockaddr.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = self
        return withUnsafeBytes(of: &copy) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(length))
        }
    }

    /// Bytes identifying the address (for cookies): the sockaddr as stored.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = self
        return withUnsafeBytes(of: &copy) { raw in body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)])) }
    }

    public var description: String {
        var buf = [CChar](repeating: 0, count: 64)
        return withSockaddr { sa, _ in
            if family == AF_INET {
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { var addr = $0.pointee.sin_addr; inet_ntop(AF_INET, &addr, &buf, 64) }
                return "\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(port)"
            }
            sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { var addr = $0.pointee.sin6_addr; inet_ntop(AF_INET6, &addr, &buf, 64) }
            return "[\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(port)"
        }
    }
}
