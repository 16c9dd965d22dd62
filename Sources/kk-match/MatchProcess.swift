import Foundation
import KKAdmin
import KKAccessToken
import KKMatch
import KKTracing

/// The running process: the Redis bridge and the match routes, hosted by `AsyncServiceHost`
/// (admin endpoints on the same port, status every second, graceful stop on a signal or drain).
struct MatchProcess {
    let config: ServiceConfig

    /// The /status document.
    struct Status: Encodable {
        var service = "kk-match"
        var pid = Int(getpid())
        var redis: String
        var bridge: MatchBridge.Stats
        var staticRelays: [String]
        var playersPerMatch: Int
        var track: String
    }

    func run() async throws {
        let host = AsyncServiceHost(name: "kk-match")
        let state = host.admin
        state.setReadiness(["redis: connecting"])
        let allocator = AllocatorConfig(keys: MatchKeys(prefix: config.keyPrefix, cluster: config.redisCluster), playersPerMatch: config.playersPerMatch,
                                        track: config.track, playerTTLMillis: config.tokenSeconds * 1000)
        let bridge = try MatchBridge(options: .init(redis: .init(host: config.redisHost, port: config.redisPort, cluster: config.redisCluster),
                                                    allocator: allocator),
                                     onConnectionChange: { up in state.setReadiness(up ? [] : ["redis: disconnected"]) })
        defer { bridge.shutdown() }
        let authenticator: any Authenticator
        if config.devAuth {
            authenticator = DevAuthenticator()
            host.logger.warning("kk-match: --dev-auth: anyone may play as anyone (load tests only)")
        } else {
            authenticator = BearerAuthenticator(verifier: try await AccessTokenVerifier(publicKeys: config.authPublicKeys))
        }
        let service = try MatchService(allocator: bridge, authenticator: authenticator,
                                       config: MatchServiceConfig(tokenKey: config.tokenKey, tokenSeconds: config.tokenSeconds,
                                                                  staticRelays: config.staticRelays),
                                       metricsFactory: host.metricsFactory)
        host.logger.info("kk-match: redis \(config.redisHost):\(config.redisPort)")
        let config = config
        let tracing = try TraceExport.bootstrap(serviceName: "kk-match", endpoint: config.otlpEndpoint,
                                                environment: ProcessInfo.processInfo.environment)
        if tracing != nil { host.logger.info("kk-match: traces over OTLP to \(config.otlpEndpoint ?? "$OTEL_EXPORTER_OTLP_ENDPOINT")") }
        try await host.run(host: config.httpHost, port: config.httpPort, routes: { service.addRoutes(to: $0) },
                           status: {
                               let s = bridge.snapshot
                               return Status(redis: s.redisConnected ? "connected" : "disconnected", bridge: s,
                                             staticRelays: config.staticRelays, playersPerMatch: config.playersPerMatch,
                                             track: config.track)
                           }, tracing: tracing)
    }
}
