import Hummingbird
import Prometheus

/// The admin endpoints on a router: shared by ``AdminServer`` (event-loop processes) and
/// ``AsyncServiceHost`` (Swift-concurrency services, where they sit beside the service's routes).
public enum AdminRoutes {
    /// Adds /healthz, /readyz, /metrics, /status and POST /drain to `router`.
    public static func add<Context: RequestContext>(to router: Router<Context>, state: AdminState, registry: PrometheusCollectorRegistry) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let (ready, reasons) = state.ready
            let body = ready ? (["ready"] + state.notes).joined(separator: "\n") + "\n" : reasons.joined(separator: "\n") + "\n"
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/status") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: state.status)))
        }
        router.post("/drain") { _, _ -> Response in
            state.requestDrain()
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "draining\n")))
        }
    }
}
