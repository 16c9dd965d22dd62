import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import KKAdmin
@testable import KKConsole
import KKConsoleCore
import Logging
import Prometheus
import Testing

@Suite struct ConsoleServiceTests {
    @Test func statusAnswersTheLatestOrANumberedSnapshotWithClearErrors() async throws {
        let state = ConsoleState()
        let router = Router()
        ConsoleService(state: state).addRoutes(to: router)
        try await Application(router: router).test(.router) { http in
            try await http.execute(uri: "/v1/console/status", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("\"not_yet\""))
            }
            for i in 1...3 { var s = ConsoleStatus(); s.seq = i; s.title = "t\(i)"; await state.add(s) }
            try await http.execute(uri: "/v1/console/status", method: .get) { r in
                #expect(r.status == .ok)
                let s = try JSONDecoder().decode(ConsoleStatus.self, from: Data(buffer: r.body))
                #expect(s.seq == 3)
            }
            try await http.execute(uri: "/v1/console/status?seq=2", method: .get) { r in
                let s = try JSONDecoder().decode(ConsoleStatus.self, from: Data(buffer: r.body))
                #expect(s.title == "t2")
            }
            for (q, status, code) in [("abc", HTTPResponse.Status.badRequest, "bad_request"), ("-1", .badRequest, "bad_request"),
                                      ("999", .notFound, "no_snapshot")] {
                try await http.execute(uri: "/v1/console/status?seq=\(q)", method: .get) { r in
                    #expect(r.status == status)
                    #expect(String(buffer: r.body).contains("\"\(code)\""), "\(q)")
                }
            }
            try await http.execute(uri: "/console", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                let page = String(buffer: r.body)
                #expect(page.contains("/v1/console/status") && page.contains("data-k=\"bots.p99Millis\"") && page.contains("<svg id=\"chart\""))
                #expect(!page.contains("innerHTML"), "all text goes through textContent")
            }
        }
    }

    /// The poller against real admin servers: a relay answering (its counters become rates),
    /// one not ready, a URL nobody serves and a pid that is gone.
    @Test func thePollerReadsRealAdminEndpoints() async throws {
        var logger = Logger(label: "console-test")
        logger.logLevel = .warning
        let relayState = AdminState(), relayRegistry = PrometheusCollectorRegistry()
        relayState.setReadiness([])
        relayState.setStatus(["sessions": 3, "playing": 2])
        let datagrams = relayRegistry.makeCounter(name: "kk_relay_datagrams_total", labels: [("direction", "in")])
        let relay = AdminServer(host: "127.0.0.1", port: 0, state: relayState, registry: relayRegistry, logger: logger)
        defer { relay.stop() }
        let shardState = AdminState()
        shardState.setReadiness(["not registered"])
        let shard = AdminServer(host: "127.0.0.1", port: 0, state: shardState, registry: PrometheusCollectorRegistry(), logger: logger)
        defer { shard.stop() }
        let relayPort = relay.port, shardPort = shard.port
        try #require(relayPort > 0 && shardPort > 0)
        // A pid that is gone: a child that ran and was reaped.
        var child: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
        #expect(posix_spawn(&child, "/bin/true", nil, nil, argv, environ) == 0)
        var st: Int32 = 0
        waitpid(child, &st, 0)
        argv.forEach { free($0) }
        var targets = ConsoleTargets(targets: [
            .init(name: "relay-1", kind: "relay", url: "http://127.0.0.1:\(relayPort)", pid: Int(getpid())),
            .init(name: "shard-1", kind: "shard", url: "http://127.0.0.1:\(shardPort)"),
            .init(name: "relay-2", kind: "relay", url: "http://127.0.0.1:1"),
            .init(name: "redis", kind: "redis", pid: Int(child)),
        ])
        targets.title = "test stack"
        let state = ConsoleState()
        let poller = ConsolePoller(targets: targets, state: state, interval: .milliseconds(200))
        let task = Task { await poller.loop() }
        datagrams.increment(by: Int64(100))
        var last: ConsoleStatus?
        for _ in 0..<100 {
            if let s = await state.latest, s.seq >= 1 { last = s; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let first = try #require(last)
        #expect(first.title == "test stack")
        #expect(first.processes.map(\.state) == [.ready, .notReady, .down, .down])
        #expect(first.processes[1].detail == "not registered")
        #expect(first.relays.first?.sessions == 3)
        // The next polls see the counter move: a rate.
        datagrams.increment(by: Int64(1000))
        var rated = false
        for _ in 0..<100 {
            if let s = await state.latest, s.seq > first.seq, (s.relays.first?.inPps ?? 0) > 0 { rated = true; break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(rated, "no datagram rate")
        // The poller stops before the servers it polls do.
        task.cancel()
        await task.value
    }
}
