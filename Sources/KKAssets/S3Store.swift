import AsyncHTTPClient
import Foundation
import KKAssetsCore
import NIOCore
import NIOHTTP1

/// Why a store call failed.
public enum S3Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store answered with an error status (and its body, cut short).
    case status(Int, String)
    /// No answer (refused, timed out).
    case transport(String)

    public var description: String {
        switch self {
        case .status(let code, let body): "S3 answered HTTP \(code): \(body)"
        case .transport(let why): "S3 unreachable: \(why)"
        }
    }
}

/// A bucket of an S3-compatible store (path-style addressing, SigV4 with the payload's hash):
/// the few calls asset publishing needs. Thin adapter over async-http-client.
public struct S3Store: Sendable {
    public let endpoint: String
    public let bucket: String
    public let signer: SigV4
    let http: HTTPClient
    let timeout: TimeAmount

    /// `endpoint`: `http://host:port` (no trailing slash).
    public init(endpoint: String, bucket: String, signer: SigV4, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.endpoint = endpoint; self.bucket = bucket; self.signer = signer; self.http = http; self.timeout = timeout
    }

    var host: String {
        let noScheme = endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? endpoint
        return noScheme
    }

    /// One signed request; the status and the body.
    func send(_ method: HTTPMethod, _ key: String?, body: [UInt8] = [], contentType: String? = nil,
              acl: String? = nil) async throws(S3Error) -> (Int, [UInt8]) {
        let path = "/" + bucket + (key.map { "/" + $0 } ?? "")
        let now = Date()
        let hash = SigV4.sha256Hex(body)
        var headers: [(String, String)] = [("host", host), ("x-amz-content-sha256", hash), ("x-amz-date", SigV4.amzDate(now))]
        if let contentType { headers.append(("content-type", contentType)) }
        if let acl { headers.append(("x-amz-acl", acl)) }
        let auth = signer.authorization(SigV4.Request(method: method.rawValue, path: path, headers: headers, payloadHash: hash), date: now)
        var req = HTTPClientRequest(url: endpoint + SigV4.encode(path, keepSlash: true))
        req.method = method
        for (n, v) in headers where n != "host" { req.headers.add(name: n, value: v) }
        req.headers.add(name: "authorization", value: auth)
        if !body.isEmpty { req.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let res = try await http.execute(req, timeout: timeout)
            let data = try await res.body.collect(upTo: 256 << 20)
            return (Int(res.status.code), Array(data.readableBytesView))
        } catch {
            throw .transport("\(error)")
        }
    }

    /// Creates the bucket (an existing one is fine).
    public func createBucket() async throws(S3Error) {
        let (code, body) = try await send(.PUT, nil)
        guard (200..<300).contains(code) || code == 409 else { throw .status(code, String(decoding: body.prefix(300), as: UTF8.self)) }
    }

    /// Stores an object; `publicRead`: readable without a signature (what the CDN fetches: its
    /// own signed, expiring URLs guard the content).
    public func put(_ key: String, _ bytes: [UInt8], contentType: String = "application/octet-stream", publicRead: Bool = false) async throws(S3Error) {
        let (code, body) = try await send(.PUT, key, body: bytes, contentType: contentType, acl: publicRead ? "public-read" : nil)
        guard (200..<300).contains(code) else { throw .status(code, String(decoding: body.prefix(300), as: UTF8.self)) }
    }

    /// The object's bytes, nil when there is none.
    public func get(_ key: String) async throws(S3Error) -> [UInt8]? {
        let (code, body) = try await send(.GET, key)
        if code == 404 { return nil }
        guard (200..<300).contains(code) else { throw .status(code, String(decoding: body.prefix(300), as: UTF8.self)) }
        return body
    }

    public func exists(_ key: String) async throws(S3Error) -> Bool {
        let (code, body) = try await send(.HEAD, key)
        if code == 404 { return false }
        guard (200..<300).contains(code) else { throw .status(code, String(decoding: body.prefix(300), as: UTF8.self)) }
        return true
    }
}
