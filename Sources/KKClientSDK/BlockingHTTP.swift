import Glibc

/// Plain HTTP/1.1 requests on a blocking socket with deadlines, for the few calls a client makes
/// outside the game loop (match, login, refresh): no event loop and no extra dependency
/// (FoundationNetworking would pull in libcurl). `http://` only; errors are
/// ``MatchServiceError`` (unreachable / bad response), the caller judges the status.
public enum BlockingHTTP {
    /// `base` + `path` without a doubled slash.
    public static func join(_ base: String, _ path: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) + path : base + path
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

    /// Connects to `url`'s host (deadlines on the socket) and sends `method` with `Connection:
    /// close`, the extra header lines (each ending in CRLF) and `body`; the socket, for the
    /// caller to read the answer from and close.
    static func open(_ method: String, url: String, headers extra: String, body: [UInt8] = [],
                     timeoutMillis: Int) throws(MatchServiceError) -> Int32 {
        let (host, port, path) = try parse(url: url)
        let fd = try connect(host: host, port: port, timeoutMillis: timeoutMillis)
        var tv = timeval(tv_sec: timeoutMillis / 1000, tv_usec: (timeoutMillis % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: kk-client\r\nConnection: close\r\n" + extra + "\r\n"
        let request = Array(head.utf8) + body
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                close(fd)
                throw .unreachable("send: \(why)")
            }
            sent += n
        }
        return fd
    }

    /// One HTTP/1.1 request with `Connection: close`; returns the status and the (de-chunked) body.
    public static func request(_ method: String, url: String, body: [UInt8] = [], headers: [(String, String)] = [],
                               timeoutMillis: Int) throws(MatchServiceError) -> (Int, [UInt8]) {
        var extra = "Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        if let trace = SDKTrace.current { extra += "traceparent: \(trace.header())\r\n" }
        for (name, value) in headers where !name.contains("\r") && !name.contains("\n") && !value.contains("\r") && !value.contains("\n") {
            extra += "\(name): \(value)\r\n"
        }
        let fd = try open(method, url: url, headers: extra, body: body, timeoutMillis: timeoutMillis)
        defer { close(fd) }
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

    /// The status and the lower-cased headers of a response head (without its blank line).
    static func parseHead(_ head: String) throws(MatchServiceError) -> (Int, [String: String]) {
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
        return (status, headers)
    }

    /// Status line, headers, body (Content-Length, chunked, or until close).
    static func parseResponse(_ data: [UInt8]) throws(MatchServiceError) -> (Int, [UInt8]) {
        let sep: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { data[$0..<$0 + 4].elementsEqual(sep) }) else {
            throw .badResponse(data.isEmpty ? "empty answer" : "incomplete HTTP answer")
        }
        let (status, headers) = try parseHead(String(decoding: data[..<end], as: UTF8.self))
        var body = Array(data[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var out = [UInt8](), i = 0
            while i < body.count {
                guard let lineEnd = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }) else { break }
                let sizeText = String(decoding: body[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw .badResponse("bad chunk") }
                guard size >= 0 else { throw .badResponse("bad chunk") }
                if size == 0 { break }
                let start = lineEnd + 2
                guard size <= body.count - start else { throw .badResponse("truncated chunk") }
                out.append(contentsOf: body[start..<start + size])
                i = start + size + 2
            }
            body = out
        } else if let len = headers["content-length"].flatMap({ Int($0) }), len >= 0, len <= body.count {
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
