import Logging
import OTel
import ServiceLifecycle

/// Turns on OpenTelemetry traces for a service process: spans (Hummingbird's `TracingMiddleware`
/// on every request, continuing the caller's W3C `traceparent`; `withSpan` around the control
/// plane's steps) exported over OTLP/HTTP in batches. Off unless an endpoint is given
/// (`--otlp-endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT`): then no span is made at all. Metrics stay
/// with Prometheus and logs with swift-log (swift-otel would otherwise claim both).
public enum TraceExport {
    /// Bootstraps tracing for `serviceName` when `endpoint` (or the environment's) is set and
    /// returns the exporter's service, to run in the process's service group; nil: tracing off.
    public static func bootstrap(serviceName: String, endpoint: String?, environment: [String: String]) throws -> (any Service)? {
        guard let base = endpoint ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !base.isEmpty else { return nil }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw TraceExportError.badEndpoint(base)
        }
        var config = OTel.Configuration.default
        config.serviceName = serviceName
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.enabled = true
        config.traces.otlpExporter.protocol = .httpProtobuf
        config.traces.otlpExporter.endpoint = base.hasSuffix("/v1/traces") ? base : (base.hasSuffix("/") ? base + "v1/traces" : base + "/v1/traces")
        config.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
        config.traces.otlpExporter.timeout = .seconds(2)
        config.diagnosticLogLevel = .warning
        return try OTel.bootstrap(configuration: config)
    }
}

/// Tracing configuration errors.
public enum TraceExportError: Error, Equatable, CustomStringConvertible {
    case badEndpoint(String)

    public var description: String {
        switch self {
        case .badEndpoint(let e): "OTLP endpoint '\(e)' must start with http:// or https://"
        }
    }
}
