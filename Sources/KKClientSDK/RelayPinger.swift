import Foundation
import Glibc
import KKWire

/// Measures the round trip to relays with their unauthenticated ping (``RelayPing``), before any
/// handshake: for choosing a region (quick play sends the measured pings with its ticket). One
/// UDP socket, `count` pings per relay 20 ms apart, answers collected until `timeoutMillis`;
/// blocking (call it outside the frame loop).
public enum RelayPinger {
    /// One relay's result: the median round trip of the answers (nil: none came back), the share
    /// answered, and the load the relay reported (0...255).
    public struct Result: Sendable, Equatable {
        public var relay: String
        public var medianMillis: Double?
        public var answered: Double
        public var load: UInt8?
    }

    public static func measure(relays: [String], count: Int = 5, timeoutMillis: Int = 1_000) -> [Result] {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return relays.map { Result(relay: $0, medianMillis: nil, answered: 0, load: nil) } }
        defer { close(fd) }
        var addrs: [sockaddr_in?] = relays.map(Self.address)
        var sentAt: [UInt64: (relay: Int, micros: Int64)] = [:]
        var rtts = [[Double]](repeating: [], count: relays.count)
        var loads = [UInt8?](repeating: nil, count: relays.count)
        let start = Self.nowMicros()
        var nonce = UInt64.random(in: 1...UInt64.max / 2)
        var buf = [UInt8](repeating: 0, count: 64)
        func receive(until deadline: Int64) {
            while true {
                let left = Int32(max(0, (deadline - Self.nowMicros()) / 1000))
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, left) == 1 else { return }
                let n = recv(fd, &buf, buf.count, 0)
                guard n > 0, let a = RelayPing.parseAnswer(Array(buf[0..<n])), let s = sentAt.removeValue(forKey: a.nonce) else { continue }
                rtts[s.relay].append(Double(Self.nowMicros() - s.micros) / 1000)
                loads[s.relay] = a.load
            }
        }
        for _ in 0..<max(1, count) {
            for (i, a) in addrs.enumerated() {
                guard var a else { continue }
                nonce &+= 1
                let req = RelayPing.request(nonce: nonce)
                sentAt[nonce] = (i, Self.nowMicros())
                let sent = withUnsafePointer(to: &a) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, req, req.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if sent < 0 { addrs[i] = nil }
            }
            receive(until: Self.nowMicros() + 20_000)
        }
        receive(until: start + Int64(timeoutMillis) * 1000)
        return relays.indices.map { i in
            let sorted = rtts[i].sorted()
            return Result(relay: relays[i], medianMillis: sorted.isEmpty ? nil : sorted[sorted.count / 2],
                          answered: Double(sorted.count) / Double(max(1, count)), load: loads[i])
        }
    }

    /// `a.b.c.d:port` (IPv4; a relay list's form).
    static func address(_ text: String) -> sockaddr_in? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, String(text[..<colon]), &a.sin_addr) == 1 else { return nil }
        return a
    }

    static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
