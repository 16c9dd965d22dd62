import AsyncHTTPClient
import Foundation
import Glibc
import KKConsoleCore
import KKResultsCore
import NIOCore
import ServiceLifecycle

/// The snapshots the poller built, shared with the routes.
public actor ConsoleState {
    private var history = ConsoleHistory()
    public init() {}
    public func add(_ s: ConsoleStatus) { history.add(s) }
    public var latest: ConsoleStatus? { history.latest }
    public func snapshot(_ seq: Int) throws(ConsoleError) -> ConsoleStatus { try history.snapshot(seq) }
}

/// Polls every watched process once a second (pids, /readyz, /status, /metrics; the results API;
/// Prometheus' targets) and stores the assembled snapshot. Every request has a short deadline:
/// a hung process shows as down, it never stalls the console.
public struct ConsolePoller: Service {
    let targets: ConsoleTargets
    let state: ConsoleState
    let http: HTTPClient
    let interval: Duration

    public init(targets: ConsoleTargets, state: ConsoleState, http: HTTPClient = .shared, interval: Duration = .seconds(1)) {
        self.targets = targets; self.state = state; self.http = http; self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    func loop() async {
        var assembler = ConsoleAssembler(title: targets.title ?? "KartKlash Edge", join: targets.join ?? [])
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let o = await observe()
            await state.add(assembler.assemble(o))
            let left = interval - (ContinuousClock.now - started)
            if left > .zero { try? await Task.sleep(for: left) }
        }
    }

    /// One poll of everything, concurrently.
    func observe() async -> Observation {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        var o = Observation(atUnix: Date().timeIntervalSince1970, monotonicSeconds: Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, targets: [])
        async let recent = self.recent()
        async let boards = self.boards()
        async let prom = prometheus()
        o.targets = await withTaskGroup(of: (Int, TargetObservation).self) { group in
            for (i, t) in targets.targets.enumerated() { group.addTask { (i, await observe(t)) } }
            var out: [(Int, TargetObservation)] = []
            for await x in group { out.append(x) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        o.recent = await recent
        o.boards = await boards
        o.prometheus = await prom
        return o
    }

    func observe(_ t: ConsoleTargets.Target) async -> TargetObservation {
        var x = TargetObservation(target: t)
        if let pid = t.pid { x.alive = kill(pid_t(pid), 0) == 0 || errno == EPERM }
        guard x.alive != false, let base = t.url else { return x }
        guard let (code, body) = await get(base + "/readyz") else { return x }
        x.readyStatus = code
        x.readyBody = String(decoding: body.prefix(500), as: UTF8.self)
        switch t.kind {
        case "relay", "shard", "services", "load":
            if let (c, b) = await get(base + "/status"), c == 200 { x.status = Data(b) }
            if t.kind != "load", let (c, b) = await get(base + "/metrics"), c == 200 { x.metrics = String(decoding: b, as: UTF8.self) }
        default:
            break
        }
        return x
    }

    func recent() async -> RecentRaces? {
        guard let base = targets.results else { return nil }
        return await json(RecentRaces.self, base + "/v1/results/recent?limit=5")
    }

    func boards() async -> [BoardFigures] {
        guard let base = targets.results else { return [] }
        var out: [BoardFigures] = []
        for track in targets.tracks ?? [] {
            if let b = await json(BoardFigures.self, base + "/v1/results/leaderboards/\(track)?limit=5") { out.append(b) }
        }
        return out
    }

    func prometheus() async -> PrometheusFigures? {
        struct Targets: Decodable {
            struct DataPart: Decodable { struct Active: Decodable { var health: String }; var activeTargets: [Active] }
            var data: DataPart
        }
        struct Alerts: Decodable {
            struct DataPart: Decodable {
                struct Alert: Decodable { var labels: [String: String]; var state: String }
                var alerts: [Alert]
            }
            var data: DataPart
        }
        guard let base = targets.prometheus, let t = await json(Targets.self, base + "/api/v1/targets?state=active") else { return nil }
        let alerts = await json(Alerts.self, base + "/api/v1/alerts")?.data.alerts ?? []
        return PrometheusFigures(up: t.data.activeTargets.filter { $0.health == "up" }.count, targets: t.data.activeTargets.count,
                                 alerts: alerts.map { .init(name: $0.labels["alertname"] ?? "?", target: $0.labels["name"] ?? $0.labels["instance"] ?? "",
                                                             state: $0.state) }.sorted { ($0.name, $0.target) < ($1.name, $1.target) })
    }

    func json<T: Decodable>(_ type: T.Type, _ url: String) async -> T? {
        guard let (code, body) = await get(url), code == 200 else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(body))
    }

    /// GET with an 800 ms deadline and a 4 MiB cap; nil when unreachable.
    func get(_ url: String) async -> (Int, [UInt8])? {
        var req = HTTPClientRequest(url: url)
        // One connection per poll: processes come and go (the fault demo kills them), and a
        // pooled connection must not outlive the server it was opened to.
        req.headers.add(name: "connection", value: "close")
        do {
            let res = try await http.execute(req, timeout: .milliseconds(800))
            let body = try await res.body.collect(upTo: 4 << 20)
            return (Int(res.status.code), Array(body.readableBytesView))
        } catch {
            return nil
        }
    }
}
