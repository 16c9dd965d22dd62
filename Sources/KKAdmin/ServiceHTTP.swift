import Foundation
import Hummingbird
import NIOCore

/// An error a service route answers with: one HTTP status, one stable `error` code (documented
/// in the service's OpenAPI file) and a message for people.
public protocol ServiceHTTPError: Error {
    var status: HTTPResponse.Status { get }
    var label: String { get }
    var message: String { get }
    /// Extra response headers (e.g. Retry-After).
    var extraHeaders: HTTPFields { get }
}

extension ServiceHTTPError {
    public var extraHeaders: HTTPFields { [:] }
}

/// The JSON plumbing every service route shares: typed errors become `{"error", "message"}`
/// bodies with their status, bodies are read with a size limit and decoded.
public enum ServiceHTTP {
    struct ErrorBody: Encodable { var error: String; var message: String }

    /// Why a request body was refused.
    public enum BodyError: Error, Equatable, Sendable, CustomStringConvertible {
        case tooLarge(Int)
        case notJSON(String)

        public var description: String {
            switch self {
            case .tooLarge(let n): "body larger than \(n) bytes"
            case .notJSON(let type): "body must be JSON: \(type)"
            }
        }
    }

    /// Runs a route body; its typed error becomes the error response.
    public static func respond<E: ServiceHTTPError>(_ body: () async throws(E) -> Response) async -> Response {
        do throws(E) { return try await body() } catch {
            var headers: HTTPFields = [.contentType: "application/json"]
            headers.append(contentsOf: error.extraHeaders)
            let data = (try? JSONEncoder().encode(ErrorBody(error: error.label, message: error.message))) ?? Data()
            return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// `value` as a JSON response (a value that cannot be encoded is a 500).
    public static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        guard let data = try? JSONEncoder().encode(value) else {
            return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"error":"encoding","message":"response not encodable"}"#)))
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request body (at most `maxBytes`) decoded as `T`.
    public static func decode<T: Decodable>(_ req: Request, as type: T.Type = T.self, maxBytes: Int) async throws(BodyError) -> T {
        let buffer: ByteBuffer
        do { buffer = try await req.body.collect(upTo: maxBytes) } catch { throw .tooLarge(maxBytes) }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView)) } catch { throw .notJSON("\(T.self)") }
    }
}

/// A shared service credential (an operator's or a relay's secret) checked against what a
/// request presented, in constant time.
public enum ServiceCredential {
    /// True when `presented` is `secret` (false when either is missing).
    public static func matches(_ presented: String?, secret: String?) -> Bool {
        guard let secret, let presented else { return false }
        let a = Array(secret.utf8), b = Array(presented.utf8)
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }
}
