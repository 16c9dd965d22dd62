import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKAdmin
import KKAssets
import KKAssetsCore
import KKAuth
import KKEconomy
import KKLobby
import KKLobbyCore
import KKRedis
import KKResults
import KKTestSupport
import CoreMetrics
import KKPostgres
import KKSocial
import Logging
import PostgresNIO
import KKConsole
import Testing

/// docs/openapi/<service>.json are kept by hand: each must list exactly the routes its service
/// registers (read from its source), each documented route must exist (not 404/405) on the
/// running routes, and the error codes the service can send must be the spec's enum.
@Suite struct OpenAPISpecTests {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    static let authErrors: [AuthError] = [.badRequest(""), .unauthorized, .refreshRefused, .conflict(""), .notFound(""),
                                          .tooManyAttempts(retryAfterSeconds: 1), .storeUnavailable(.unavailable("")), .signingFailed("")]
    static let socialErrors: [SocialError] = [.badRequest(""), .unauthorized, .forbidden(""), .notFound(""), .conflict(""),
                                              .storeUnavailable(.unavailable(""))]

    static let assetErrors: [AssetServiceError] = [.badRequest(""), .unauthorized, .notFound(""), .storeUnavailable("")]
    static let consoleErrors: [ConsoleHTTPError] = [.badRequest(""), .noSnapshot(""), .notYet]
    static let resultsErrors: [ResultsError] = [.badRequest(""), .unauthorized, .notFound(""), .storeUnavailable(.unavailable(""))]
    static let economyErrors: [EconomyError] = [.badRequest(""), .unauthorized, .notOperator, .operatorOff, .unknownItem(""), .notFound(""),
                                                .storeUnavailable(.unavailable(""))]
        + ["stale_price", "already_owned", "insufficient_funds", "not_for_sale", "idempotency_key_reused", "already_refunded", "not_refundable"]
            .map { EconomyError.refused(label: $0, message: "") }

    func specOperations(_ name: String) throws -> (Set<String>, [String: Any]) {
        let data = try Data(contentsOf: root.appendingPathComponent("docs/openapi/\(name).json"))
        let spec = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        var ops = Set<String>()
        for (path, methods) in paths { for m in methods.keys { ops.insert("\(m.uppercased()) \(path)") } }
        return (ops, spec)
    }

    /// `router.<method>("<path>")` calls in a source file, `:param` written `{param}` as OpenAPI does.
    func sourceOperations(_ file: String) throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        let regex = try NSRegularExpression(pattern: #"router\.(get|post|put|patch|delete|ws)\("([^"]+)""#)
        let param = try NSRegularExpression(pattern: #":([A-Za-z]+)"#)
        var ops = Set<String>()
        for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let verb = String(text[Range(m.range(at: 1), in: text)!]).uppercased()
            let method = verb == "WS" ? "GET" : verb  // a WebSocket upgrade is a GET
            let path = String(text[Range(m.range(at: 2), in: text)!])
            let templated = param.stringByReplacingMatches(in: path, range: NSRange(path.startIndex..., in: path), withTemplate: "{$1}")
            ops.insert("\(method) \(templated)")
        }
        return ops
    }

    func errorCodes(_ spec: [String: Any]) -> Set<String> {
        let schemas = (spec["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let props = (schemas?["Error"] as? [String: Any])?["properties"] as? [String: Any]
        return Set(((props?["error"] as? [String: Any])?["enum"] as? [String]) ?? [])
    }

    @Test func specsListExactlyTheRegisteredRoutesAndEveryErrorCode() throws {
        for (name, source, labels, minimum) in [("auth", "Sources/KKAuth/AuthService.swift", Self.authErrors.map(\.label), 11),
                                                ("social", "Sources/KKSocial/SocialService.swift", Self.socialErrors.map(\.label), 21),
                                                ("results", "Sources/KKResults/ResultsService.swift", Self.resultsErrors.map(\.label), 6),
                                                ("assets", "Sources/KKAssets/AssetService.swift", Self.assetErrors.map(\.label), 2),
                                                ("voice", "Sources/KKVoice/VoiceService.swift", [], 1),
                                                ("console", "Sources/KKConsole/ConsoleService.swift", Self.consoleErrors.map(\.label), 2)] {
            let (documented, spec) = try specOperations(name)
            let registered = try sourceOperations(source)
            #expect(registered.count >= minimum, "\(name)")
            #expect(documented == registered, "\(name): undocumented \(registered.subtracting(documented)); stale \(documented.subtracting(registered))")
            #expect(Set(labels) == errorCodes(spec), "\(name)")
        }
        // The economy: its routes are in two files; every refusal label the service sends is documented.
        let (eDocumented, eSpec) = try specOperations("economy")
        let eRegistered = try sourceOperations("Sources/KKEconomy/EconomyService.swift")
            .union(try sourceOperations("Sources/KKEconomy/EconomyService+Operators.swift"))
        #expect(eRegistered.count >= 9)
        #expect(eDocumented == eRegistered, "economy: undocumented \(eRegistered.subtracting(eDocumented)); stale \(eDocumented.subtracting(eRegistered))")
        #expect(Set(Self.economyErrors.map(\.label)) == errorCodes(eSpec), "economy")
        let eSource = try ["EconomyService.swift", "EconomyService+Operators.swift"].map {
            try String(contentsOf: root.appendingPathComponent("Sources/KKEconomy/\($0)"), encoding: .utf8)
        }.joined()
        let refusal = try NSRegularExpression(pattern: #"refused\(label: "([a-z_]+)""#)
        let sent = Set(refusal.matches(in: eSource, range: NSRange(eSource.startIndex..., in: eSource)).map {
            String(eSource[Range($0.range(at: 1), in: eSource)!])
        })
        #expect(sent.isSubset(of: errorCodes(eSpec)) && sent.count == 7, "economy refusals \(sent)")
        // The lobby: its routes are in two files; its errors are the operator routes' labels.
        let (documented, spec) = try specOperations("lobby")
        let registered = try sourceOperations("Sources/KKLobby/LobbyService.swift")
            .union(try sourceOperations("Sources/KKLobby/LobbyService+Relays.swift"))
        #expect(registered.count >= 8)
        #expect(documented == registered, "lobby: undocumented \(registered.subtracting(documented)); stale \(documented.subtracting(registered))")
        let source = try String(contentsOf: root.appendingPathComponent("Sources/KKLobby/LobbyService+Relays.swift"), encoding: .utf8)
        let labelRegex = try NSRegularExpression(pattern: #"label: "([a-z_]+)""#)
        let labels = Set(labelRegex.matches(in: source, range: NSRange(source.startIndex..., in: source)).map {
            String(source[Range($0.range(at: 1), in: source)!])
        })
        #expect(labels == errorCodes(spec), "lobby")
    }

    /// Every documented operation exists on the services' routers: whatever it answers without
    /// credentials or body, it is not 404 / 405.
    @Test func everyDocumentedOperationIsServed() async throws {
        let logger = Logger(label: "openapi-test")
        let documented = try specOperations("auth").0.union(try specOperations("social").0).union(try specOperations("lobby").0)
            .union(try specOperations("results").0).union(try specOperations("economy").0).union(try specOperations("assets").0)
            .union(try specOperations("console").0)
        let redis = try RedisCommandBridge(options: .init(host: "127.0.0.1", port: try RedisTestServer.port()))
        defer { redis.shutdown() }
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
            try await MigrationRunner.apply(try SocialMigrations.set(), on: client, logger: logger)
            let tokens = try await AuthTokens(seed: (0..<32).map { UInt8($0) })
            let router = Router(context: ServiceRequestContext.self)
            AuthService(store: AuthStore(client: client, logger: logger), tokens: tokens).addRoutes(to: router)
            SocialService(store: SocialStore(client: client, logger: logger), verifier: tokens.verifier).addRoutes(to: router)
            ResultsService(store: ResultsStore(client: client, logger: logger)).addRoutes(to: router)
            try await MigrationRunner.apply(try ResultsMigrations.set(), on: client, logger: logger)
            try await MigrationRunner.apply(try EconomyMigrations.set(), on: client, logger: logger)
            EconomyService(store: EconomyStore(client: client, logger: logger), verifier: tokens.verifier, operatorSecret: nil,
                           metricsFactory: NOOPMetricsHandler.instance).addRoutes(to: router)
            let store = S3Store(endpoint: "http://127.0.0.1:9", bucket: "kk-assets", signer: SigV4(accessKeyId: "a", secretAccessKey: "s", region: "us-east-1"))
            AssetService(store: store, config: AssetServiceConfig(cdnBaseURL: "http://127.0.0.1:9", linkSecret: String(repeating: "s", count: 16), trusted: [:]),
                         verifier: tokens.verifier, metricsFactory: NOOPMetricsHandler.instance).addRoutes(to: router)
            ConsoleService(state: ConsoleState()).addRoutes(to: router)
            LobbyService(config: LobbyConfig(rules: LobbyRules(tracks: ["oval"])), redis: redis, verifier: tokens.verifier, starter: nil,
                         metricsFactory: NOOPMetricsHandler.instance, logger: logger).addRoutes(to: router)
            try await Application(router: router).test(.router) { http in
                for op in documented.sorted() {
                    let parts = op.split(separator: " ")
                    let uri = String(parts[1]).replacingOccurrences(of: "{id}", with: "1").replacingOccurrences(of: "{account}", with: "1")
                        .replacingOccurrences(of: "{track}", with: "oval").replacingOccurrences(of: "{item}", with: "skin.neon")
                        .replacingOccurrences(of: "{platform}", with: "linux").replacingOccurrences(of: "{sha256}", with: String(repeating: "ab", count: 32))
                    let (status, body) = try await http.execute(uri: uri, method: HTTPRequest.Method(String(parts[0]))!) {
                        ($0.status, String(buffer: $0.body))
                    }
                    // A route's own 404 says why in its JSON error; the router's has no such body.
                    let routeAnswered = status != .notFound || body.contains("\"not_found\"")
                    #expect(routeAnswered && status != .methodNotAllowed, "\(op): \(status)")
                }
            }
        }
    }
}
