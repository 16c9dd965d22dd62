import Glibc

/// One GET streamed into a file at an offset, resuming with `Range: bytes=<offset>-` (blocking,
/// like ``BlockingHTTP``): what the asset cache downloads bundles with. It never writes past
/// the size the manifest names, and tells a short body (the connection closed early: resume
/// later) from a refusal.
enum HTTPDownload {
    enum Failure: Error, Equatable {
        case unreachable(String)
        /// A status other than 200/206 (403 forged or bad link, 410 expired, 404...).
        case status(Int)
        /// 416: the partial file is not a prefix the server can continue.
        case rangeNotSatisfiable
        case badResponse(String)
        /// The body ended at `got` of `expected` bytes.
        case truncated(got: Int, expected: Int)
        /// The server sends more than the manifest's size.
        case tooLarge(Int)
        /// Writing the file failed (errno: ENOSPC, EDQUOT, EFBIG, EIO...).
        case write(Int32)
    }

    /// Fetches `url` into `fd` from byte `offset` (0: the whole object) up to `total` bytes.
    /// Returns the bytes the file holds afterwards (== `total` when complete). A 200 to a range
    /// request restarts the file from 0.
    static func fetch(url: String, into fd: Int32, offset: Int, total: Int, timeoutMillis: Int) throws(Failure) -> Int {
        let sock: Int32
        do throws(MatchServiceError) {
            sock = try BlockingHTTP.open("GET", url: url, headers: offset > 0 ? "Range: bytes=\(offset)-\r\n" : "", timeoutMillis: timeoutMillis)
        } catch {
            throw .unreachable("\(error)")
        }
        defer { close(sock) }
        // The head (bounded), then the body straight into the file.
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        var have = 0, headEnd = -1
        while headEnd < 0 {
            guard have < buf.count else { throw .badResponse("response head over \(buf.count) bytes") }
            let n = buf.withUnsafeMutableBytes { recv(sock, $0.baseAddress! + have, $0.count - have, 0) }
            if n < 0 { if errno == EINTR { continue }; throw .unreachable(errno == EAGAIN ? "no answer within \(timeoutMillis) ms" : "recv: \(String(cString: strerror(errno)))") }
            if n == 0 { throw .badResponse(have == 0 ? "empty answer" : "incomplete response head") }
            let from = max(0, have - 3)
            have += n
            if have >= 4 {
                for i in from...(have - 4) where buf[i] == 13 && buf[i + 1] == 10 && buf[i + 2] == 13 && buf[i + 3] == 10 { headEnd = i; break }
            }
        }
        let status: Int, headers: [String: String]
        do throws(MatchServiceError) { (status, headers) = try BlockingHTTP.parseHead(String(decoding: buf[..<headEnd], as: UTF8.self)) } catch {
            throw .badResponse("not HTTP")
        }
        var start: Int
        switch status {
        case 200:
            start = 0
            if offset > 0 { guard ftruncate(fd, 0) == 0 else { throw .write(errno) } }
        case 206:
            guard let range = headers["content-range"], let (first, size) = parseContentRange(range) else {
                throw .badResponse("206 without a usable Content-Range")
            }
            guard first == offset else { throw .badResponse("asked for bytes from \(offset), got from \(first)") }
            if let size, size != total { throw .badResponse("object is \(size) bytes, the manifest says \(total)") }
            start = offset
        case 416: throw .rangeNotSatisfiable
        default: throw .status(status)
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true { throw .badResponse("chunked bodies are not supported for bundles") }
        let length = headers["content-length"].flatMap { Int($0) }
        if let length, start + length > total { throw .tooLarge(start + length) }
        let end = length.map { start + $0 } ?? total
        var at = start
        /// Writes buf[from..<from+count] at `at`; 0 or the errno.
        func write(_ from: Int, _ count: Int) -> Int32 {
            buf.withUnsafeBytes { raw -> Int32 in
                var done = 0
                while done < count {
                    let w = pwrite(fd, raw.baseAddress! + from + done, count - done, off_t(at + done))
                    if w < 0 { if errno == EINTR { continue }; at += done; return errno }
                    done += w
                }
                at += done
                return 0
            }
        }
        // Body bytes that came with the head.
        let bodyStart = headEnd + 4
        if have > bodyStart {
            guard have - bodyStart <= end - at else { throw .tooLarge(at + have - bodyStart) }
            let e = write(bodyStart, have - bodyStart)
            if e != 0 { throw .write(e) }
        }
        while at < end {
            let n = buf.withUnsafeMutableBytes { recv(sock, $0.baseAddress!, min($0.count, end - at), 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN ? .truncated(got: at, expected: total) : .unreachable("recv: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            let e = write(0, n)
            if e != 0 { throw .write(e) }
        }
        if at < end || at < total { throw .truncated(got: at, expected: total) }
        return at
    }

    /// `bytes first-last/size` (size may be `*`).
    static func parseContentRange(_ text: String) -> (first: Int, size: Int?)? {
        guard text.hasPrefix("bytes ") else { return nil }
        let rest = text.dropFirst(6)
        guard let dash = rest.firstIndex(of: "-"), let slash = rest.firstIndex(of: "/"), let first = Int(rest[..<dash]) else { return nil }
        let size = rest[rest.index(after: slash)...]
        return (first, size == "*" ? nil : Int(size))
    }
}
