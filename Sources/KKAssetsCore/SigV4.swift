import Crypto
import Foundation

/// AWS Signature Version 4 (pure): signs a request for an S3-compatible store (or any
/// SigV4 service) with an `Authorization` header, or presigns a URL. Written against the AWS
/// SigV4 test suite and the S3 examples of its documentation (SigV4Tests).
public struct SigV4: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var region: String
    public var service: String
    /// Optional session token (sent as `x-amz-security-token`, signed).
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, region: String, service: String = "s3", sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId; self.secretAccessKey = secretAccessKey
        self.region = region; self.service = service; self.sessionToken = sessionToken
    }

    /// A request to sign: method, path (not yet encoded), query (not yet encoded), headers
    /// (must include `host`), and the payload's SHA-256 hex (or `UNSIGNED-PAYLOAD`).
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var payloadHash: String

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method; self.path = path; self.query = query; self.headers = headers; self.payloadHash = payloadHash
        }
    }

    /// The hex SHA-256 of `bytes` (a payload hash).
    public static func sha256Hex(_ bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }
    public static let emptyPayloadHash = sha256Hex([UInt8]())
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// `date` as `yyyyMMdd'T'HHmmss'Z'` (UTC).
    public static func amzDate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// The `Authorization` header value for `request` at `date` (the request's headers must
    /// already carry `x-amz-date` = ``amzDate(_:)`` and, for S3, `x-amz-content-sha256`).
    public func authorization(_ request: Request, date: Date) -> String {
        let stamp = Self.amzDate(date)
        var r = request
        if let sessionToken, !r.headers.contains(where: { $0.0.lowercased() == "x-amz-security-token" }) {
            r.headers.append(("x-amz-security-token", sessionToken))
        }
        let (canonical, signed) = canonicalRequest(r)
        return "AWS4-HMAC-SHA256 Credential=\(accessKeyId)/\(scope(stamp)), SignedHeaders=\(signed), Signature=\(signature(canonical, stamp: stamp))"
    }

    /// A presigned URL's query (`X-Amz-*` parameters and the signature) for `request` (its
    /// headers: at least `host`), valid `expires` seconds from `date` (1...604800).
    public func presignedQuery(_ request: Request, date: Date, expires: Int) -> [(String, String)] {
        let stamp = Self.amzDate(date)
        var r = request
        let signedNames = Self.canonicalHeaders(r.headers).map(\.0).joined(separator: ";")
        var q = r.query
        q.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        q.append(("X-Amz-Credential", "\(accessKeyId)/\(scope(stamp))"))
        q.append(("X-Amz-Date", stamp))
        q.append(("X-Amz-Expires", String(min(max(expires, 1), 604_800))))
        if let sessionToken { q.append(("X-Amz-Security-Token", sessionToken)) }
        q.append(("X-Amz-SignedHeaders", signedNames))
        r.query = q
        r.payloadHash = Self.unsignedPayload
        let (canonical, _) = canonicalRequest(r)
        return q + [("X-Amz-Signature", signature(canonical, stamp: stamp))]
    }

    // MARK: the algorithm

    func scope(_ stamp: String) -> String { "\(stamp.prefix(8))/\(region)/\(service)/aws4_request" }

    /// The canonical request and the signed header names.
    public func canonicalRequest(_ r: Request) -> (String, String) {
        let headers = Self.canonicalHeaders(r.headers)
        let signed = headers.map(\.0).joined(separator: ";")
        let encoded: [(String, String)] = r.query.map { (Self.encode($0.0), Self.encode($0.1)) }
        let ordered = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in a.0 != b.0 ? a.0 < b.0 : a.1 < b.1 }
        let query = ordered.map { (p: (String, String)) -> String in p.0 + "=" + p.1 }.joined(separator: "&")
        let path = Self.encode(r.path.isEmpty ? "/" : r.path, keepSlash: true)
        let headerLines = headers.map { (h: (String, String)) -> String in h.0 + ":" + h.1 + "\n" }.joined()
        let text = [r.method.uppercased(), path, query, headerLines, signed, r.payloadHash].joined(separator: "\n")
        return (text, signed)
    }

    func signature(_ canonical: String, stamp: String) -> String {
        let toSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope(stamp))\n\(Self.sha256Hex(Array(canonical.utf8)))"
        var key = SymmetricKey(data: Array(("AWS4" + secretAccessKey).utf8))
        for part in [String(stamp.prefix(8)), region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key))
    }

    /// Lower-case names, values trimmed with inner runs of spaces made one, one line per name
    /// (repeated names joined with commas), sorted by name.
    static func canonicalHeaders(_ headers: [(String, String)]) -> [(String, String)] {
        var merged: [String: [String]] = [:]
        for (n, v) in headers {
            let value = v.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            merged[n.lowercased(), default: []].append(value)
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and `/` in paths).
    public static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            case 0x2F where keepSlash: out.append("/")
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
