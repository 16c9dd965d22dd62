import Foundation
import Glibc

/// Loopback probes for tools and tests that drive a local stack of processes (kk-load,
/// system tests): free ports, a plain HTTP request to an admin port, reading a Prometheus
/// counter, and polling a condition in another process. Loopback (127.0.0.1) only.
public enum LocalProbe {
    /// A free port on 127.0.0.1 for `type` (SOCK_STREAM or SOCK_DGRAM): bound to 0, read back, released.
    public static func freePort(udp: Bool = false) -> UInt16 {
        let fd = socket(AF_INET, Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// A plain HTTP/1.0 request to 127.0.0.1:port; returns (status, body) or nil when nothing answers.
    public static func http(_ method: String = "GET", port: Int, path: String, body: String = "",
                            headers: [String: String] = [:]) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard ok else { return nil }
        let extra = headers.filter { $0.key.lowercased() != "content-type" }.map { "\($0.key): \($0.value)\r\n" }.joined()
        let req = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = req.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        // Read until the body announced by Content-Length is complete (or EOF): a server that
        // keeps the connection open must not cost a receive timeout.
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buf[0..<n])
            if let complete = completeLength(data), data.count >= complete { break }
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\r\n").first, line.split(separator: " ").count >= 2,
              let status = Int(line.split(separator: " ")[1]) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return (status, body)
    }

    /// Header length + Content-Length once the headers are in, else nil.
    static func completeLength(_ data: [UInt8]) -> Int? {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard data.count >= 4, let end = (0...(data.count - 4)).first(where: { Array(data[$0..<($0 + 4)]) == sep }) else { return nil }
        let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            if let n = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) { return end + 4 + n }
        }
        return nil
    }

    /// Polls `condition` every 20 ms until it holds or `seconds` pass (for conditions in other
    /// processes, where no event of ours can be awaited).
    public static func eventually(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = monotonicMillis() + Int64(seconds * 1000)
        while monotonicMillis() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Reads a counter value from Prometheus text.
    public static func metric(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { return v }
        }
        return nil
    }
}
