import Foundation
import KKAdmin
import KKMatch
import KKRedis
import Logging
import Prometheus

/// The running process: Redis bridge, HTTP server, status publisher, shutdown on a signal or drain.
struct MatchProcess {
    let config: ServiceConfig

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

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
        var logger = Logger(label: "kk-match")
        logger.logLevel = .info
        let registry = PrometheusCollectorRegistry()
        let factory = MetricSync.prometheusFactory(registry: registry)
        let state = AdminState()
        state.setReadiness(["redis: connecting"])
        let allocator = AllocatorConfig(keys: MatchKeys(prefix: config.keyPrefix), playersPerMatch: config.playersPerMatch,
                                        track: config.track, playerTTLMillis: config.tokenSeconds * 1000)
        let bridge = try MatchBridge(options: .init(redis: .init(host: config.redisHost, port: config.redisPort),
                                                    allocator: allocator),
                                     onConnectionChange: { up in state.setReadiness(up ? [] : ["redis: disconnected"]) })
        let service = try MatchService(allocator: bridge,
                                       config: MatchServiceConfig(tokenKey: config.tokenKey, tokenSeconds: config.tokenSeconds,
                                                                  staticRelays: config.staticRelays),
                                       metricsFactory: factory)
        let admin = AdminServer(host: config.httpHost, port: config.httpPort, state: state, registry: registry,
                                extraRoutes: { service.addRoutes(to: $0) }, logger: logger)
        let port = admin.port
        guard port != 0 else {
            bridge.shutdown()
            throw StartError(description: "cannot listen on \(config.httpHost):\(config.httpPort)")
        }
        logger.info("kk-match listening on http://\(config.httpHost):\(port) (redis \(config.redisHost):\(config.redisPort))")

        let (stops, stop) = AsyncStream.makeStream(of: String.self)
        state.onDrain = { stop.yield("drain requested") }
        let signals = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { stop.yield(sig == SIGTERM ? "SIGTERM" : "SIGINT") }
            src.resume()
            return src
        }
        let publisher = Task {
            while !Task.isCancelled {
                let s = bridge.snapshot
                state.setStatus(Status(redis: s.redisConnected ? "connected" : "disconnected", bridge: s,
                                       staticRelays: config.staticRelays, playersPerMatch: config.playersPerMatch,
                                       track: config.track))
                try? await Task.sleep(for: .seconds(1))
            }
        }
        var reason = "stream ended"
        for await r in stops { reason = r; break }
        logger.info("kk-match stopping: \(reason)")
        state.setReadiness(["shutting down"])
        publisher.cancel()
        admin.stop()
        bridge.shutdown()
        signals.forEach { $0.cancel() }
        logger.info("kk-match stopped")
    }
}
