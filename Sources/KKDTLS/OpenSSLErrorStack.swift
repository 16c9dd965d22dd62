import COpenSSL

/// A snapshot of OpenSSL's thread-local error queue plus the `SSL_get_error` code, taken when a
/// call fails (the model is swift-nio-ssl's `BoringSSLError`). Cold path: allocates.
public struct OpenSSLErrorStack: Equatable, Sendable, CustomStringConvertible {
    /// `SSL_get_error` result of the failing call (0 when not from an SSL call).
    public var sslError: Int32
    /// Packed error codes, oldest first (at most 8).
    public var codes: [UInt]

    public init(sslError: Int32 = 0, codes: [UInt] = []) {
        self.sslError = sslError
        self.codes = codes
    }

    /// Drains the calling thread's error queue.
    public static func capture(sslError: Int32 = 0) -> OpenSSLErrorStack {
        var codes: [UInt] = []
        while true {
            let e = ERR_get_error()
            if e == 0 { break }
            if codes.count < 8 { codes.append(e) }
        }
        return OpenSSLErrorStack(sslError: sslError, codes: codes)
    }

    /// Reason codes of the SSL library entries.
    var sslReasons: [Int32] {
        codes.filter { crelay_err_get_lib($0) == crelay_err_lib_ssl() }.map { crelay_err_get_reason($0) }
    }

    /// The fatal alert the peer sent, when the queue says so.
    var receivedAlert: UInt8? {
        let offset = crelay_ssl_ad_reason_offset()
        for r in sslReasons where r >= offset && r < offset + 256 { return UInt8(r - offset) }
        return nil
    }

    func contains(reason: Int32) -> Bool { sslReasons.contains(reason) }

    public var description: String {
        var parts: [String] = ["ssl_error=\(sslError)"]
        for code in codes {
            var buf = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buf, buf.count)
            parts.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return parts.joined(separator: "; ")
    }
}
