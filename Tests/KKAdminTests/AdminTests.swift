import Foundation
import KKAdmin
import KKConfig
import KKTestSupport
import Prometheus
import Synchronization
import Testing

/// The admin HTTP server, readiness, status, metrics and config files of every process.
@Suite(.serialized) struct AdminTests {
    @Test func healthReadinessStatusAndMetricsOverHTTP() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = MetricSync(factory: MetricSync.prometheusFactory(registry: registry))
        let state = AdminState()
        let server = AdminServer(host: "127.0.0.1", port: 0, state: state, registry: registry, logger: .init(label: "test"))
        defer { server.stop() }
        let port = server.port
        #expect(port > 0)
        #expect(SystemTest.http(port: port, path: "/healthz")?.status == 200)
        state.setReadiness(["redis unreachable"])
        let notReady = SystemTest.http(port: port, path: "/readyz")
        #expect(notReady?.status == 503 && notReady?.body.contains("redis unreachable") == true)
        state.setReadiness([])
        #expect(SystemTest.http(port: port, path: "/readyz")?.status == 200)
        struct Doc: Encodable { var sessions: Int }
        state.setStatus(Doc(sessions: 7))
        #expect(SystemTest.http(port: port, path: "/status")?.body.contains("\"sessions\":7") == true)
        // Counters only grow: a smaller total is ignored.
        metrics.count("kk_test_things_total", [("reason", "a")], total: 5)
        metrics.count("kk_test_things_total", [("reason", "a")], total: 3)
        metrics.gauge("kk_test_level", value: 2.5)
        let text = SystemTest.http(port: port, path: "/metrics")?.body ?? ""
        #expect(SystemTest.metric(text, "kk_test_things_total{reason=\"a\"}") == 5)
        #expect(SystemTest.metric(text, "kk_test_level") == 2.5)
        let drained = Mutex(false)
        state.onDrain = { drained.withLock { $0 = true } }
        #expect(SystemTest.http("POST", port: port, path: "/drain")?.status == 202)
        #expect(SystemTest.eventually(seconds: 5) { drained.withLock { $0 } })
    }

    /// The heap in use follows what the program holds: 64 MiB allocated and written shows, freed
    /// it is gone; the allocator holds at least as much from the system (other tests' allocations meanwhile are far smaller than the margins).
    @Test func heapInUseFollowsAllocations() {
        let before = HeapFigures.now.inUse
        #expect(before > 0)
        let size = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        let figures = HeapFigures.now
        let holding = figures.inUse
        #expect(figures.mapped >= holding, "the allocator holds at least what is in use")
        block.deallocate()
        let after = HeapFigures.now.inUse
        #expect(holding - before >= size - (8 << 20), "\(before) -> \(holding)")
        #expect(holding - after >= size - (8 << 20), "\(holding) -> \(after)")
    }

    /// The host of the Swift-concurrency services: their routes beside the admin endpoints on one
    /// port, /status published, POST /drain stops it gracefully, a taken port is an error.
    @Test func asyncServiceHostServesRoutesAndStopsOnDrain() async throws {
        let host = AsyncServiceHost(name: "kk-test")
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        struct Doc: Encodable { var answers = 42 }
        let run = Task {
            try await host.run(host: "127.0.0.1", port: 0, routes: { $0.get("/hello") { _, _ in "hi\n" } },
                               status: { Doc() }, listening: { portSink.yield($0) })
        }
        var it = ports.makeAsyncIterator()
        let port = try #require(await it.next())
        #expect(SystemTest.http(port: port, path: "/hello")?.body == "hi\n")
        #expect(SystemTest.http(port: port, path: "/healthz")?.status == 200)
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: port, path: "/status")?.body.contains("\"answers\":42") == true
        })
        let second = AsyncServiceHost(name: "kk-test-2")
        await #expect(throws: (any Error).self, "a port already taken fails the start") {
            try await second.run(host: "127.0.0.1", port: port, routes: { _ in }, status: { Doc() })
        }
        #expect(SystemTest.http("POST", port: port, path: "/drain")?.status == 202)
        try await run.value
        #expect(host.admin.ready.0 == false && host.admin.ready.1 == ["shutting down"])
        #expect(SystemTest.http(port: port, path: "/healthz") == nil, "the server stopped")
    }

    /// A process hosting several components is ready when none has a reason: one coming up does
    /// not hide another's (kk-services' lobby Redis connecting before its PostgreSQL migrations).
    @Test func readinessPerComponent() {
        let a = AdminState()
        #expect(a.ready == (false, ["starting"]))
        a.setReadiness(["migrations: pending"], for: "postgres")
        a.setReadiness([], for: "lobby")
        #expect(a.ready == (false, ["migrations: pending"]))
        a.setReadiness(["redis: disconnected (lobby)"], for: "lobby")
        a.setReadiness([], for: "postgres")
        #expect(a.ready == (false, ["redis: disconnected (lobby)"]))
        a.setReadiness([], for: "lobby")
        #expect(a.ready == (true, []))
        a.setReadiness(["shutting down"])
        #expect(a.ready == (false, ["shutting down"]))
    }

    @Test func configFileErrorsNameTheKey() {
        struct Settings: Codable, Equatable { var port: UInt16 = 1; var name: String = "x" }
        func message(_ json: String) -> String? {
            let r = Result { () throws(ConfigFile.LoadError) in
                try ConfigFile.decode(Settings.self, data: Data(json.utf8), over: Settings(), name: "s.json")
            }
            if case .failure(let error) = r { return error.description }
            return nil
        }
        #expect((try? ConfigFile.decode(Settings.self, data: Data(#"{"port": 9}"#.utf8), over: Settings(), name: "s.json"))
            == Settings(port: 9, name: "x"))
        #expect(message(#"{"prot": 9}"#)?.contains("prot") == true)
        #expect(message(#"{"port": 70000}"#)?.contains("port") == true)
        #expect(message(#"nonsense"#) != nil)
    }
}
