import Hummingbird
import HummingbirdWebSocket
import Logging
import Prometheus
import ServiceLifecycle

/// The life of a service process built on Swift concurrency (kk-match; the platform services'
/// executable): one HTTP server carrying the admin endpoints (``AdminRoutes``) beside the
/// service's own routes, a Prometheus registry, a /status document refreshed every second, and
/// a graceful stop on SIGTERM, SIGINT or POST /drain (swift-service-lifecycle's `ServiceGroup`).
/// The event-loop processes (kk-relay, kk-shard) use ``ProcessHost`` instead.
public final class AsyncServiceHost: Sendable {
    /// Process name, for logs.
    public let name: String
    public let logger: Logger
    public let registry = PrometheusCollectorRegistry()
    /// Metrics factory over ``registry`` with the project's histogram buckets.
    public let metricsFactory: PrometheusMetricsFactory
    /// Readiness, status document and drain requests behind the admin endpoints.
    public let admin = AdminState()

    public init(name: String, logLevel: String = "info") {
        self.name = name
        var l = Logger(label: name)
        l.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        logger = l
        metricsFactory = MetricSync.prometheusFactory(registry: registry)
    }

    /// Serves on `host:port` (0: any free port) until SIGTERM, SIGINT or POST /drain, then stops
    /// gracefully and returns. `listening` gets the bound port once the server accepts;
    /// `status` is published to /status now and every second; `services` run beside the HTTP
    /// server and are shut down with it. Throws when the server cannot start (port taken...).
    public func run(host: String, port: Int,
                    routes: (Router<ServiceRequestContext>) -> Void,
                    status: @escaping @Sendable () -> any Encodable,
                    services: [any Service] = [],
                    tracing: (any Service)? = nil,
                    webSocketPingSeconds: Int = 15,
                    listening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router(context: ServiceRequestContext.self)
        AdminRoutes.add(to: router, state: admin, registry: registry)
        // With tracing on (`tracing` is its exporter), every service request is a span that
        // continues the caller's W3C traceparent; the admin endpoints above are not traced.
        if tracing != nil { router.add(middleware: TracingMiddleware()) }
        routes(router)
        let name = name, logger = logger
        // WebSocket upgrades go through the same router (the lobby's sockets); frames up to
        // 64 KiB, a ping every `webSocketPingSeconds` (a peer that stops answering is closed).
        let ws = WebSocketServerConfiguration(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(webSocketPingSeconds)))
        let app = Application(router: router,
                              server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: ws)),
                              configuration: .init(address: .hostname(host, port: port), serverName: name),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? port
                                  logger.info("\(name) listening on http://\(host):\(bound)")
                                  listening(bound)
                              },
                              logger: logger)
        let publisher = StatusPublisher(admin: admin, status: status, heap: HeapGauges(factory: metricsFactory))
        // The exporter first: services stop in reverse order, so it flushes the last spans.
        let group = ServiceGroup(services: (tracing.map { [$0] } ?? []) + [app, publisher] + services,
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        admin.onDrain = { Task { await group.triggerGracefulShutdown() } }
        try await group.run()
        logger.info("\(name) stopped")
    }
}

/// Publishes the status document and the heap gauges every second; on graceful shutdown marks
/// the process not ready (load balancers stop sending) and returns.
struct StatusPublisher: Service {
    let admin: AdminState
    let status: @Sendable () -> any Encodable
    let heap: HeapGauges

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    heap.record()
                    admin.setStatus(status())
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        } onGracefulShutdown: {
            admin.setReadiness(["shutting down"])
        }
    }
}
