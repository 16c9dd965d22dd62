import Foundation
import Glibc
import KKToken

/// What the match service (`kk-match`, `POST /v1/match`) answers, or what a token file holds.
/// A token file may hold either this object or a bare ``ConnectToken``.
public struct MatchTicket: Codable, Equatable, Sendable {
    public var token: ConnectToken
    public var matchId: UInt64?
    /// Track the match runs on, when the service says (otherwise the client's default).
    public var track: String?

    public init(token: ConnectToken, matchId: UInt64? = nil, track: String? = nil) {
        self.token = token
        self.matchId = matchId
        self.track = track
    }

    /// Decodes `{"token": {...}, "matchId": ...}` or a bare ConnectToken.
    public static func decode(json: [UInt8]) throws(MatchServiceError) -> MatchTicket {
        let data = Data(json)
        let decoder = JSONDecoder()
        if let t = try? decoder.decode(MatchTicket.self, from: data) { return t }
        do { return MatchTicket(token: try decoder.decode(ConnectToken.self, from: data), matchId: nil) } catch {
            throw .badResponse("the ticket is not a connect token (\(error))")
        }
    }

    /// Reads a token file (see ``decode(json:)``).
    public static func read(file path: String) throws(MatchServiceError) -> MatchTicket {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badResponse("cannot read token file \(path)") }
        return try decode(json: [UInt8](data))
    }

    /// True when the token's expiry has passed at `now` (Unix seconds).
    public func isExpired(now: UInt64 = UInt64(time(nil))) -> Bool { token.expireTime <= now }
}

/// Why no ticket could be had from the match service. ``message`` is for the player.
public enum MatchServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection (refused, unresolvable, timed out).
    case unreachable(String)
    /// The service answered with an error status.
    case refused(status: Int, body: String)
    /// The answer was not a ticket.
    case badResponse(String)

    public var message: String {
        switch self {
        case .unreachable(let why): "cannot reach the match service; check your connection (\(why))"
        case .refused(let status, let body):
            status == 503 || status == 429 ? "no match available right now; try again shortly (HTTP \(status))"
                : "the match service refused: HTTP \(status) \(body.prefix(120))"
        case .badResponse(let why): "the match service sent something unexpected: \(why)"
        }
    }

    public var description: String { message }
}

/// The match service's front door over plain HTTP/1.1 on a blocking socket with deadlines:
/// used once before the game starts (no event loop, no extra dependency; FoundationNetworking
/// would pull in libcurl for one request).
public enum MatchService {
    /// `POST {baseURL}/v1/match` with `{"player": name}`.
    public static func requestMatch(baseURL: String, player: String, timeoutMillis: Int = 5_000) throws(MatchServiceError) -> MatchTicket {
        let body: [UInt8]
        do { body = [UInt8](try JSONEncoder().encode(["player": player])) } catch { throw .badResponse("\(error)") }
        let (status, reply) = try post(url: baseURL.hasSuffix("/") ? baseURL + "v1/match" : baseURL + "/v1/match",
                                       body: body, timeoutMillis: timeoutMillis)
        guard (200..<300).contains(status) else { throw .refused(status: status, body: String(decoding: reply, as: UTF8.self)) }
        return try MatchTicket.decode(json: reply)
    }

    /// Splits `http://host[:port][/path]`.
    static func parse(url: String) throws(MatchServiceError) -> (host: String, port: UInt16, path: String) {
        guard url.hasPrefix("http://") else { throw .unreachable("only http:// URLs are supported: \(url)") }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = String(authority), port: UInt16 = 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = UInt16(after.dropFirst()) else { throw .unreachable("bad port in \(url)") }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = UInt16(authority[authority.index(after: colon)...]) else { throw .unreachable("bad port in \(url)") }
            port = p
        }
        guard !host.isEmpty else { throw .unreachable("no host in \(url)") }
        return (host, port, path)
    }

    /// One HTTP/1.1 POST with `Connection: close`; returns the status and the (de-chunked) body.
    public static func post(url: String, body: [UInt8], timeoutMillis: Int) throws(MatchServiceError) -> (Int, [UInt8]) {
        let (host, port, path) = try parse(url: url)
        let fd = try connect(host: host, port: port, timeoutMillis: timeoutMillis)
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: kk-client\r\nAccept: application/json\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw .unreachable("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while data.count < 1 << 20 {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreachable(errno == EAGAIN ? "no answer within \(timeoutMillis) ms" : "recv: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data.append(contentsOf: buf[0..<n])
        }
        return try parseResponse(data)
    }

    /// Status line, headers, body (Content-Length, chunked, or until close).
    static func parseResponse(_ data: [UInt8]) throws(MatchServiceError) -> (Int, [UInt8]) {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { data[$0..<$0 + 4].elementsEqual(sep) }) else {
            throw .badResponse(data.isEmpty ? "empty answer" : "incomplete HTTP answer")
        }
        let head = String(decoding: data[..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            throw .badResponse("not HTTP")
        }
        var headers: [String: String] = [:]
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var out = [UInt8](), i = 0
            while i < body.count {
                guard let lineEnd = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { break }
                let sizeText = String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .badResponse("bad chunk") }
                if size == 0 { break }
                let start = lineEnd + 2
                guard start + size <= body.count else { throw .badResponse("truncated chunk") }
                out.append(contentsOf: body[start..<start + size])
                i = start + size + 2
            }
            body = out
        } else if let len = headers["content-length"].flatMap({ Int($0) }), len <= body.count {
            body = Array(body[..<len])
        }
        return (status, body)
    }

    /// A TCP connection with a connect deadline (non-blocking connect + poll).
    static func connect(host: String, port: UInt16, timeoutMillis: Int) throws(MatchServiceError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, "\(port)", &hints, &res)
        guard rc == 0, let first = res else { throw .unreachable("cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(res) }
        var lastError = "no address for \(host)"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            defer { ai = a.pointee.ai_next }
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                            a.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var r = Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen)
            if r < 0 && errno == EINPROGRESS {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let n = poll(&p, 1, Int32(timeoutMillis))
                if n == 1 {
                    var err: Int32 = 0
                    var len = socklen_t(4)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    r = err == 0 ? 0 : -1
                    errno = err
                } else {
                    r = -1
                    errno = ETIMEDOUT
                }
            }
            if r == 0 {
                let flags = fcntl(fd, F_GETFL)
                _ = fcntl(fd, F_SETFL, flags & ~Int32(O_NONBLOCK))
                return fd
            }
            lastError = "\(host):\(port): \(String(cString: strerror(errno)))"
            close(fd)
        }
        throw .unreachable(lastError)
    }
}
