import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The admin HTTP endpoints every KartKlash process serves (Hummingbird, on Swift concurrency's
/// threads, never on the event-loop thread):
///
/// - `GET /healthz`: 200 while the process runs.
/// - `GET /readyz`: 200 when ready, else 503 with the reasons (one per line).
/// - `GET /metrics`: Prometheus text exposition of the registry.
/// - `GET /status`: the process's JSON status document.
/// - `POST /drain`: stop taking new work, finish what runs, then exit.
public final class AdminServer: @unchecked Sendable {
    public let state: AdminState
    private var task: Task<Void, Error>?
    private let group: ServiceGroup
    private let portBox = PortBox()

    /// Starts serving on `host:port` (0 picks a free port; see ``port``).
    public init(host: String, port: Int, state: AdminState, registry: PrometheusCollectorRegistry,
                extraRoutes: ((Router<BasicRequestContext>) -> Void)? = nil, logger: Logger) {
        self.state = state
        let router = Router()
        AdminRoutes.add(to: router, state: state, registry: registry)
        extraRoutes?(router)
        let box = portBox
        let app = Application(router: router,
                              configuration: .init(address: .hostname(host, port: port), serverName: "kartklash-admin"),
                              onServerRunning: { channel in box.set(channel.localAddress?.port ?? 0) },
                              logger: logger)
        // Run in a service group of our own so ``stop()`` shuts the server down gracefully
        // (open keep-alive connections closed in order; cancelling it instead could trap in NIO).
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        self.group = group
        task = Task.detached { try await group.run() }
    }

    /// The bound port once the server runs (waits up to 5 s); 0 if it never came up.
    public var port: Int { portBox.wait(seconds: 5) }

    /// Stops the server (gracefully, in the background).
    public func stop() {
        guard task != nil else { return }
        task = nil
        let group = group
        Task.detached { await group.triggerGracefulShutdown() }
    }
}

/// A port number set once from the server's thread.
final class PortBox: @unchecked Sendable {
    private let cond = NSCondition()
    private var value = 0

    func set(_ p: Int) { cond.lock(); value = p; cond.broadcast(); cond.unlock() }

    func wait(seconds: Double) -> Int {
        cond.lock(); defer { cond.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while value == 0 { if !cond.wait(until: deadline) { break } }
        return value
    }
}
