import CoreMetrics
import KKAdmin
import KKConsoleCore
import KKLoad
import Logging
import Prometheus

/// kk-load's admin endpoint (`--admin-port`), what the console and Prometheus read while a run
/// goes: `/status` is the bots' live figures (``BotsLive``: this second's latency, bandwidth,
/// corrections, and since the start resumes, inputs lost, faults), `/metrics` the same as
/// gauges and counters (and the process's heap in use and held, as every process publishes them), `/readyz`
/// ready while the run goes.
final class LiveStatus {
    private let admin = AdminState()
    private let registry = PrometheusCollectorRegistry()
    private var server: AdminServer?
    private var bots = BotFigures()
    private var latency: [LatencyPoint] = []
    private let playing, failed, p50, p99, upPerClient, downPerClient: CoreMetrics.Gauge
    private let resumes, inputsChecked, inputsLost: CoreMetrics.Counter
    private let heap: HeapGauges

    init(port: Int, clients: Int) {
        let f = MetricSync.prometheusFactory(registry: registry)
        playing = CoreMetrics.Gauge(label: "kk_load_clients_playing", factory: f)
        failed = CoreMetrics.Gauge(label: "kk_load_clients_failed", factory: f)
        p50 = CoreMetrics.Gauge(label: "kk_load_input_to_frame_p50_ms", factory: f)
        p99 = CoreMetrics.Gauge(label: "kk_load_input_to_frame_p99_ms", factory: f)
        upPerClient = CoreMetrics.Gauge(label: "kk_load_bytes_per_client_per_second", dimensions: [("direction", "up")], factory: f)
        downPerClient = CoreMetrics.Gauge(label: "kk_load_bytes_per_client_per_second", dimensions: [("direction", "down")], factory: f)
        heap = HeapGauges(factory: f)
        resumes = CoreMetrics.Counter(label: "kk_load_resumes_total", factory: f)
        inputsChecked = CoreMetrics.Counter(label: "kk_load_inputs_checked_total", factory: f)
        inputsLost = CoreMetrics.Counter(label: "kk_load_inputs_lost_total", factory: f)
        bots.clients = clients
        admin.setStatus(BotsLive(bots: bots, latency: latency))
        admin.setReadiness([])
        var logger = Logger(label: "kk-load-admin")
        logger.logLevel = .warning
        server = AdminServer(host: "127.0.0.1", port: port, state: admin, registry: registry, logger: logger)
    }

    /// The port it serves on (0 if it could not start).
    var port: Int { server?.port ?? 0 }

    /// One closed second of the run.
    func second(_ line: SecondLine, faults: [LoadReport.FaultRecord]) {
        bots.second = line.second
        bots.playing = line.playing
        bots.failed = line.failed
        bots.p50Millis = line.p50Millis
        bots.p99Millis = line.p99Millis
        let n = Double(max(1, line.playing))
        bots.upBytesPerClient = Double(line.bytesUp) / n
        bots.downBytesPerClient = Double(line.bytesDown) / n
        bots.correctionsPerSecond = line.corrections
        bots.resumes += line.resumes
        bots.handshakes += line.handshakes
        bots.inputsChecked += line.inputsChecked
        bots.inputsLost += line.inputsLost
        bots.maxStallMillis = max(bots.maxStallMillis, line.maxStallMillis)
        bots.faults = faults.map { String(format: "%@ at %.1f s", $0.target, $0.atSeconds) }
        if line.latencyCount > 0 {
            latency.append(LatencyPoint(second: line.second, p50Millis: line.p50Millis, p99Millis: line.p99Millis))
            if latency.count > 120 { latency.removeFirst(latency.count - 120) }
        }
        admin.setStatus(BotsLive(bots: bots, latency: latency))
        playing.record(line.playing)
        failed.record(line.failed)
        p50.record(line.p50Millis)
        p99.record(line.p99Millis)
        upPerClient.record(bots.upBytesPerClient)
        downPerClient.record(bots.downBytesPerClient)
        heap.record()
        resumes.increment(by: line.resumes)
        inputsChecked.increment(by: line.inputsChecked)
        inputsLost.increment(by: line.inputsLost)
    }

    /// The run is over: not ready any more, server stopped.
    func stop() {
        admin.setReadiness(["run over"])
        server?.stop()
    }
}
