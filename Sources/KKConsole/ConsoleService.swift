import Foundation
import Hummingbird
import KKAdmin
import KKConsoleCore

/// The console's routes (`kk-services --services console`):
///
/// - `GET /console`: the web console (``ConsolePage``).
/// - `GET /v1/console/status`: the latest snapshot (503 `not_yet` before the first poll);
///   `?seq=N`: snapshot N while it is kept (404 `no_snapshot`), the one a page rendered.
public struct ConsoleService: Sendable {
    public let state: ConsoleState

    public init(state: ConsoleState) { self.state = state }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let state = state
        router.get("/console") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsolePage.html)))
        }
        router.get("/v1/console/status") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(ConsoleHTTPError) in
                if let raw = req.uri.queryParameters.get("seq") {
                    guard let n = Int(raw), n > 0 else { throw .badRequest("seq must be a positive integer") }
                    do throws(ConsoleError) { return ServiceHTTP.json(.ok, try await state.snapshot(n)) } catch { throw .noSnapshot(error.description) }
                }
                guard let s = await state.latest else { throw .notYet }
                return ServiceHTTP.json(.ok, s)
            }
        }
    }
}

/// The console routes' errors.
public enum ConsoleHTTPError: ServiceHTTPError {
    case badRequest(String)
    case noSnapshot(String)
    case notYet

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .noSnapshot: .notFound
        case .notYet: .serviceUnavailable
        }
    }
    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .noSnapshot: "no_snapshot"
        case .notYet: "not_yet"
        }
    }
    public var message: String {
        switch self {
        case .badRequest(let m), .noSnapshot(let m): m
        case .notYet: "the console has not polled the stack yet"
        }
    }
}
