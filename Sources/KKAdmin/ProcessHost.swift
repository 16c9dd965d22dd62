import Glibc
import KKLoop
import Logging
import Prometheus

/// What every KartKlash process does around its loop: a Prometheus registry and metrics
/// factory, the admin HTTP server, SIGTERM/SIGINT handling on the loop thread, a drain request
/// from POST /drain delivered to the loop thread, and a once-per-second status callback.
public final class ProcessHost {
    public let loop: EventLoop
    public let registry = PrometheusCollectorRegistry()
    public let metrics: MetricSync
    public let admin: AdminState
    public let logger: Logger
    private var server: AdminServer?
    private var signals: [LoopSignal] = []
    private var drainAsync: LoopAsync?
    private let statusTimer: LoopTimer
    private let loopLag: CoreMetricsTimerBox
    private let heap: HeapGauges
    /// Exit code the process ends with.
    public var exitCode: Int32 = 0

    public init(loop: EventLoop, logger: Logger) {
        self.loop = loop
        self.logger = logger
        metrics = MetricSync(factory: MetricSync.prometheusFactory(registry: registry))
        admin = AdminState()
        statusTimer = LoopTimer(loop: loop)
        loopLag = CoreMetricsTimerBox(metrics.timer("kk_loop_lag_seconds"))
        heap = HeapGauges(factory: metrics.factory)
    }

    /// Serves the admin endpoints on `host:port` (0: any free port). Returns the bound port.
    @discardableResult
    public func startAdmin(host: String, port: Int) -> Int {
        let s = AdminServer(host: host, port: port, state: admin, registry: registry, logger: logger)
        server = s
        return s.port
    }

    /// Calls `onTerminate` on the loop thread for SIGTERM and SIGINT (once; a second signal exits at once).
    public func onTerminate(_ body: @escaping () -> Void) {
        var fired = false
        for sig in [SIGTERM, SIGINT] {
            let s = LoopSignal(loop: loop)
            s.start(sig) { [unowned self] in
                if fired { logger.warning("second signal: exiting now"); exit(1) }
                fired = true
                logger.info("signal \(sig): shutting down gracefully")
                body()
            }
            signals.append(s)
        }
    }

    /// Calls `body` on the loop thread when POST /drain is received.
    public func onDrain(_ body: @escaping () -> Void) throws(IOError) {
        let a = try LoopAsync(loop: loop, body)
        drainAsync = a
        admin.onDrain = { a.send() }
    }

    /// Calls `body` every second on the loop thread (status, readiness, metrics), and records loop lag.
    public func everySecond(_ body: @escaping () -> Void) {
        var expected = monotonicNanos() + 1_000_000_000
        statusTimer.start(afterMillis: 1000, repeatMillis: 1000) { [unowned self] in
            let now = monotonicNanos()
            loopLag.timer.recordNanoseconds(Int64(now > expected ? now - expected : 0))
            expected = now + 1_000_000_000
            body()
        }
    }

    /// The common life of a service process after its parts started: the admin server on
    /// `adminHost:adminPort` (0: any port), `publish(adminPort)` now and every second (status,
    /// readiness, metrics; with the process's heap in use), the loop until something stops it, then ``shutdown()``.
    public func serve(adminHost: String, adminPort: Int, publish: @escaping (Int) -> Void) {
        let port = startAdmin(host: adminHost, port: adminPort)
        logger.info("admin http on \(adminHost):\(port)")
        let publishAll = { [unowned self] in
            heap.record()
            publish(port)
        }
        publishAll()
        everySecond(publishAll)
        loop.run()
        shutdown()
    }

    /// A logger for a service process at the level named on its command line (info if unknown).
    public static func logger(label: String, level: String) -> Logger {
        var l = Logger(label: label)
        l.logLevel = Logger.Level(rawValue: level) ?? .info
        return l
    }

    /// Stops the admin server and the host's handles, drops the closures it was given (they
    /// usually hold the host and the server: no reference cycle outlives the process's loop) and
    /// lets the loop run the close callbacks of every handle closed by now.
    public func shutdown() {
        statusTimer.stop(); statusTimer.close()
        for s in signals { s.stop(); s.close() }
        signals = []
        admin.onDrain = nil  // before the handle it wakes is closed (POST /drain runs on another thread)
        drainAsync?.close()
        drainAsync = nil
        server?.stop()
        server = nil
        loop.runClosing()
    }
}

import CoreMetrics

/// Holds a swift-metrics Timer (a reference type) for the loop-lag histogram.
final class CoreMetricsTimerBox {
    let timer: CoreMetrics.Timer
    init(_ t: CoreMetrics.Timer) { timer = t }
}
