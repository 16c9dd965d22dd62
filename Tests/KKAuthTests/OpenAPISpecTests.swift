import Foundation
import Hummingbird
import HummingbirdTesting
import KKAdmin
import KKAuth
import KKPostgres
import Logging
import PostgresNIO
import Testing

/// docs/openapi/auth.json is kept by hand: it must list exactly the routes the service registers
/// (read from its source), each documented route must exist (not 404) on the running routes, and
/// every error code the service can send must be in the spec's enum.
@Suite struct OpenAPISpecTests {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func specOperations() throws -> (Set<String>, [String: Any]) {
        let data = try Data(contentsOf: root.appendingPathComponent("docs/openapi/auth.json"))
        let spec = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        var ops = Set<String>()
        for (path, methods) in paths { for m in methods.keys { ops.insert("\(m.uppercased()) \(path)") } }
        return (ops, spec)
    }

    func sourceOperations() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("Sources/KKAuth/AuthService.swift"), encoding: .utf8)
        let regex = try NSRegularExpression(pattern: #"router\.(get|post|put|patch|delete)\("([^"]+)"\)"#)
        var ops = Set<String>()
        for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let method = String(text[Range(m.range(at: 1), in: text)!]).uppercased()
            ops.insert("\(method) \(text[Range(m.range(at: 2), in: text)!])")
        }
        return ops
    }

    @Test func specListsExactlyTheRegisteredRoutesAndEveryErrorCode() throws {
        let (documented, spec) = try specOperations()
        let registered = try sourceOperations()
        #expect(registered.count >= 11)
        #expect(documented == registered, "undocumented: \(registered.subtracting(documented)); stale: \(documented.subtracting(registered))")
        let schemas = (spec["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let errorProps = (schemas?["Error"] as? [String: Any])?["properties"] as? [String: Any]
        let codes = Set(((errorProps?["error"] as? [String: Any])?["enum"] as? [String]) ?? [])
        let all: [AuthError] = [.badRequest(""), .unauthorized, .refreshRefused, .conflict(""), .notFound(""),
                                .tooManyAttempts(retryAfterSeconds: 1), .storeUnavailable(.unavailable("")), .signingFailed("")]
        #expect(Set(all.map(\.label)) == codes)
    }

    /// Every documented operation exists on the service's router: whatever it answers without
    /// credentials or body, it is not 404 / 405.
    @Test func everyDocumentedOperationIsServed() async throws {
        let (documented, _) = try specOperations()
        try await withDatabase(logger: Logger(label: "openapi-test")) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: Logger(label: "openapi-test"))
            let service = AuthService(store: AuthStore(client: client, logger: Logger(label: "openapi-test")),
                                      tokens: try await AuthTokens(seed: (0..<32).map { UInt8($0) }))
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            try await Application(router: router).test(.router) { http in
                for op in documented.sorted() {
                    let parts = op.split(separator: " ")
                    let status = try await http.execute(uri: String(parts[1]), method: HTTPRequest.Method(String(parts[0]))!) { $0.status }
                    #expect(status != .notFound && status != .methodNotAllowed, "\(op): \(status)")
                }
            }
        }
    }
}
