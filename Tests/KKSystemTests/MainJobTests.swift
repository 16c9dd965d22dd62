import Foundation
import Glibc
import KKConsoleCore
import KKLocalStack
import KKTestSupport
import Testing

/// The README's first command, short (the test build's binaries, 8 bots racing one lap of the
/// sprint track; the second run lasts long enough for the slowest bot's finish grace, 30 s after
/// the winner, so its race is over whatever the machine's speed): every process of the stack comes up on free ports, the bots meet in the lobby,
/// race and get results and coins, the console's live view is the screen, Prometheus scrapes
/// every process, the fault demo kills a relay and a shard and the clients resume and the match
/// is adopted, the JSON summary is written, nothing is left running; a second run right after
/// works too (no port clash), and there the web console is opened in headless Chromium: the
/// figures it draws for a snapshot are that snapshot's JSON.
@Suite(.serialized) struct MainJobTests {
    @Test func theMainJobRunsTwiceWithTheFaultDemoTheViewAndTheWebConsoleAndLeavesNothingBehind() throws {
        let bin = URL(fileURLWithPath: SystemTest.product("kk-load")).deletingLastPathComponent().path
        for round in 1...2 {
            let dir = SystemTest.tempDir("kk-main-job-\(round)")
            let run = "\(dir)/run"
            let summaryPath = "\(dir)/summary.json"
            let p = try ChildProcess(path: "/bin/bash", arguments: [SystemTest.packageRoot.appendingPathComponent("Ops/scripts/demo.sh").path],
                                     environment: ["KK_BIN": bin, "DEMO_CLIENTS": "8", "DEMO_SECONDS": round == 1 ? "20" : "50",
                                                   "DEMO_SKIP_INSTALL": "1", "DEMO_TRACK": "sprint", "DEMO_RUN_DIR": run,
                                                   "DEMO_SUMMARY": summaryPath, "DEMO_FAULTS": round == 1 ? "1" : "0"],
                                     logPath: "\(dir)/demo.log")
            var status: Int32?
            if round == 2 {
                // While it runs: the web console in headless Chromium.
                try checkWebConsole(run: run, dir: dir, demo: p)
            }
            status = p.wait(seconds: 300)
            if status == nil { p.stop() }
            let log = (try? String(contentsOfFile: "\(dir)/demo.log", encoding: .utf8)) ?? ""
            #expect(status.map { ($0 >> 8) & 0xff } == 0, "round \(round): \(log.suffix(3000))")
            #expect(log.contains("demo: stopped"), "round \(round)")
            // The screen: kk-console's frames (written every 5 s without a terminal).
            #expect(log.contains("KartKlash Edge local stack - live") && log.contains("input->frame p50"), "round \(round): no live view")
            let data = try #require(FileManager.default.contents(atPath: summaryPath), "no summary:\n\(log.suffix(3000))")
            let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let processes = try #require(summary["processes"] as? [String: Int])
            #expect(Set(processes.keys).isSuperset(of: ["redis", "shard-1", "shard-2", "relay-1", "relay-2", "coturn", "moto", "nginx",
                                                        "prometheus", "kk-services", "kk-match", "bots"]), "\(processes.keys.sorted())")
            for (name, pid) in processes {
                #expect(kill(pid_t(pid), 0) != 0 && errno == ESRCH, "round \(round): \(name) (pid \(pid)) still running")
            }
            let report = try #require(summary["report"] as? [String: Any], "round \(round): no load report")
            let counters = try #require(report["counters"] as? [String: Any])
            #expect((counters["handshakes"] as? Int ?? 0) >= 8 && (counters["framesReceived"] as? Int ?? 0) > 0, "round \(round): \(counters)")
            let consoleData = try JSONSerialization.data(withJSONObject: try #require(summary["console"] as? [String: Any], "no console snapshot"))
            let console = try JSONDecoder().decode(ConsoleStatus.self, from: consoleData)
            #expect(console.bots?.clients == 8, "round \(round): \(String(describing: console.bots))")
            #expect(console.prometheus?.targets == 7, "round \(round): \(String(describing: console.prometheus))")
            let faults = report["faults"] as? [[String: Any]] ?? []
            if round == 1 {
                #expect(Set(faults.compactMap { $0["target"] as? String }).count == 2, "a relay and a shard killed: \(faults)")
                #expect((counters["resumes"] as? Int ?? 0) > 0, "the relay's clients resumed elsewhere: \(counters)")
                #expect((console.bots?.resumes ?? 0) > 0 && console.bots?.faults.count == 2, "the view counts resumes and faults")
                #expect(console.shards.first { $0.name == "shard-2" }.map { $0.adopted >= 1 } == true, "shard-2 adopted the match: \(console.shards)")
                #expect(console.processes.filter { $0.state == .down }.map(\.name).sorted() == ["bots", "relay-1", "shard-1"],
                        "\(console.processes)")
                // Prometheus saw relay-1 go: its alert is pending (or firing) in the console.
                #expect(console.prometheus?.alerts.contains { $0.name == "KartKlashRelayDown" && $0.target == "relay-1" } == true,
                        "\(String(describing: console.prometheus))")
                let check = try ChildProcess(path: "/usr/bin/promtool", arguments: ["check", "config", "\(run)/prometheus/prometheus.yml"],
                                             logPath: "\(dir)/promtool.log")
                #expect(check.wait(seconds: 60).map { ($0 >> 8) & 0xff } == 0,
                        "\((try? String(contentsOfFile: "\(dir)/promtool.log", encoding: .utf8)) ?? "")")
                let recorded = console.results?.recorded ?? 0
                print("main job round 1: races recorded after the faults: \(recorded)")
            } else {
                #expect(faults.isEmpty)
                // The bots finished their race: recorded, verified, coins credited to real accounts.
                let results = try #require(console.results, "no results in the console")
                #expect(results.recorded >= 1 && results.verified >= 1 && results.coins > 0, "\(results)")
                let race = try #require(results.recent.first)
                #expect(race.racers.count == 8 && race.racers.allSatisfy { $0.playerId != nil }, "\(race)")
                #expect(race.racers.compactMap(\.coins).reduce(0, +) > 0)
                #expect(console.boards.first { $0.track == "sprint" }.map { !$0.rows.isEmpty } == true, "\(console.boards)")
                #expect(console.processes.filter { $0.state == .down }.map(\.name) == ["bots"], "\(console.processes)")
            }
        }
    }

    /// Waits for the demo's console to show bots playing, renders one snapshot (`?seq=N`) in
    /// headless Chromium (the rendered DOM and a screenshot of the same page) and checks the
    /// figures drawn are that snapshot's JSON.
    func checkWebConsole(run: String, dir: String, demo: ChildProcess) throws {
        var port = 0
        let gotTargets = SystemTest.eventually(seconds: 120) {
            guard let d = FileManager.default.contents(atPath: "\(run)/console-targets.json"),
                  let t = try? ConsoleTargets.parse(d), let r = t.results, let p = Int(r.split(separator: ":").last ?? "") else { return false }
            port = p
            return true
        }
        try #require(gotTargets, "the demo wrote no console targets")
        var snapshot: ConsoleStatus?
        let playing = SystemTest.eventually(seconds: 120) {
            guard let r = SystemTest.http(port: port, path: "/v1/console/status"), r.status == 200,
                  let s = try? JSONDecoder().decode(ConsoleStatus.self, from: Data(r.body.utf8)) else { return false }
            snapshot = s
            return (s.bots?.playing ?? 0) > 0 && (s.prometheus?.up ?? 0) > 0 && s.readyCount == s.processes.count
        }
        try #require(playing, "the console never showed bots playing with every process ready: \(String(describing: snapshot))")
        let seq = try #require(snapshot).seq
        let url = "http://127.0.0.1:\(port)/console?seq=\(seq)"
        let dom = try chromium(["--dump-dom", url], dir: dir, out: "\(dir)/console.html")
        let png = "\(dir)/console.png"
        _ = try chromium(["--screenshot=\(png)", "--window-size=1280,1000", url], dir: dir, out: "\(dir)/chromium-shot.log")
        // The JSON of that very snapshot.
        let r = try #require(SystemTest.http(port: port, path: "/v1/console/status?seq=\(seq)"))
        #expect(r.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any])
        let s = try JSONDecoder().decode(ConsoleStatus.self, from: Data(r.body.utf8))
        #expect(s.seq == seq)
        func drawn(_ key: String) -> String? {
            guard let range = dom.range(of: "data-k=\"\(key)\"") else { return nil }
            let rest = dom[range.upperBound...]
            guard let open = rest.firstIndex(of: ">"), let close = rest[open...].firstIndex(of: "<") else { return nil }
            return String(rest[rest.index(after: open)..<close])
        }
        func value(_ path: String) -> String {
            let v = path.split(separator: ".").reduce(json as Any?) { ($0 as? [String: Any])?[String($1)] }
            return v.map { "\($0)" } ?? "-"
        }
        #expect(drawn("seq") == "\(seq)", "page not rendered from snapshot \(seq):\n\(dom.prefix(2000))")
        #expect(drawn("ready") == "\(s.readyCount)" && drawn("processCount") == "\(s.processes.count)")
        for key in ["bots.clients", "bots.playing", "bots.failed", "bots.resumes", "bots.inputsLost", "bots.correctionsPerSecond",
                    "results.recorded", "results.coins", "prometheus.up", "prometheus.targets", "lobby.racesStarted"] {
            #expect(drawn(key) == value(key), "\(key): drawn \(drawn(key) ?? "nothing"), JSON \(value(key))")
        }
        for relay in s.relays { #expect(drawn("relay.\(relay.name).sessions") == "\(relay.sessions)", "\(relay)") }
        for shard in s.shards { #expect(drawn("shard.\(shard.name).matches") == "\(shard.matches)", "\(shard)") }
        for p in s.processes { #expect(drawn("process.\(p.name)") == p.state.rawValue, "\(p)") }
        let p99 = try #require(s.bots).p99Millis
        #expect(drawn("bots.p99Millis") == (p99 == p99.rounded() ? "\(Int(p99))" : String(format: "%.0f", p99)))
        #expect(dom.contains("<polyline"), "no latency chart")
        // The screenshot of the same page: a PNG of the window's size with something drawn on it.
        let shot = try #require(FileManager.default.contents(atPath: png), "no screenshot")
        #expect(Array(shot.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let w = shot[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = shot[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(w == 1280 && h == 1000, "\(w)x\(h)")
        #expect(shot.count > 20_000, "a nearly empty screenshot: \(shot.count) bytes")
        _ = demo
    }

    /// Runs headless Chromium (a profile of its own, virtual time so the page's fetch lands
    /// before the DOM is dumped or the shot taken); returns its stdout.
    func chromium(_ args: [String], dir: String, out: String) throws -> String {
        let profile = "\(dir)/chromium-profile"
        let p = try ChildProcess(path: "/usr/bin/chromium",
                                 arguments: ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                             "--virtual-time-budget=5000"] + args,
                                 environment: ["HOME": dir], logPath: out)
        let status = p.wait(seconds: 60)
        if status == nil { p.stop() }
        #expect(status == 0, "chromium \(args): \(status.map(String.init) ?? "timed out")")
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }
}
