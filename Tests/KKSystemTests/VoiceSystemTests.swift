import Foundation
import Glibc
import KKClientSDK
import KKLocalStack
import KKTestSupport
import KKVoiceCore
import Testing

/// A headless WebRTC voice peer (Tests/Voice/voice_peer.py, aiortc from the test venv) driven
/// over its stdin/stdout JSON lines; stopped by pid.
final class VoicePeerProcess: @unchecked Sendable {
    let process = Process()
    private let stdin = Pipe()
    private let stdout = Pipe()
    private let lock = NSLock()
    private var events: [[String: Any]] = []
    private var counts: [String: Int] = [:]
    private var peaks: [String: Int] = [:]
    private var buffer = Data()

    init(name: String, log: String) throws {
        let py = (ProcessInfo.processInfo.environment["KK_PYENV"] ?? "/var/tmp/kk-pyenv") + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: py) else { throw StackError("\(py) missing: run Ops/scripts/install-deps.sh (aiortc)") }
        process.executableURL = URL(fileURLWithPath: py)
        process.arguments = [SystemTest.packageRoot.appendingPathComponent("Tests/Voice/voice_peer.py").path, "--name", name]
        process.standardInput = stdin
        process.standardOutput = stdout
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        stdout.fileHandleForReading.readabilityHandler = { [weak self] h in self?.take(h.availableData) }
        try process.run()
    }

    private func take(_ d: Data) {
        lock.lock(); defer { lock.unlock() }
        buffer.append(d)
        while let nl = buffer.firstIndex(of: 10) {
            let line = buffer[buffer.startIndex..<nl]
            buffer.removeSubrange(buffer.startIndex...nl)
            guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
            if obj["event"] as? String == "frames" {
                counts = (obj["counts"] as? [String: Int]) ?? counts
                peaks = (obj["peaks"] as? [String: Int]) ?? peaks
            } else {
                events.append(obj)
            }
        }
    }

    func send(_ obj: [String: Any]) {
        guard let d = try? JSONSerialization.data(withJSONObject: obj) else { return }
        stdin.fileHandleForWriting.write(d + Data([10]))
    }

    /// Events other than frame counts since the last call.
    func drain() -> [[String: Any]] {
        lock.lock(); defer { lock.unlock() }
        let e = events
        events.removeAll()
        return e
    }

    func frames(from peer: Int64) -> (count: Int, peak: Int) {
        lock.lock(); defer { lock.unlock() }
        return (counts["\(peer)"] ?? 0, peaks["\(peer)"] ?? 0)
    }

    func stop() {
        send(["cmd": "quit"])
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
    }
}

/// Proximity voice for real: kk-services (auth + voice) on a real Redis, coturn on loopback,
/// three players each with the SDK's VoiceClient bridged to a headless aiortc peer. Karts A and
/// B race side by side, C is far away (a scripted position feed on the shards' channel): A and
/// B are told to connect, signal through the service, and hear each other's audio through TURN;
/// C is never connected and its signalling to A is refused. B then drives away: both are told
/// to disconnect and the audio stops.
@Suite(.serialized) struct VoiceSystemTests {
    @Test func peersInRangeHearEachOtherThroughTurnAndStopWhenTheyDriveApart() throws {
        let s = try StackProcesses("voice")
        defer { s.stopAll() }
        let turnSecret = "turn-secret-\(UInt32.random(in: 0...UInt32.max))"
        let coturn = try ScriptedServer.start(script: "Ops/scripts/coturn-local.sh", args: [turnSecret], dir: s.dir)
        defer { coturn.stop() }
        let httpPort = Int(SystemTest.freePort())
        s.children["services"] = try ChildProcess(path: SystemTest.product("kk-services"), arguments: [
            "--http-port", "\(httpPort)", "--services", "auth,social,voice", "--log-level", "warning",
            "--redis-port", "\(s.redisPort)", "--redis-prefix", s.prefix,
            "--voice-turn-url", "turn:127.0.0.1:\(coturn.port)?transport=udp", "--voice-turn-secret", turnSecret,
        ], environment: ["KK_POSTGRES_URL": try PostgresTestServer.url(), "KK_JWT_KEY": String(repeating: "5e", count: 32)],
           logPath: "\(s.dir)/services.log")
        guard SystemTest.eventually(seconds: 30, { SystemTest.http(port: httpPort, path: "/readyz")?.status == 200 }) else {
            throw StackError("kk-services not ready:\n\(s.log("services").suffix(2000))")
        }
        let auth = AuthClient(baseURL: "http://127.0.0.1:\(httpPort)")
        let tag = UInt64.random(in: 0...UInt64.max)
        let sessions = try (0..<3).map { i in try auth.loginDevice(deviceId: "voice-\(tag)-\(i)") }
        let ids = sessions.map(\.accountId)
        let (a, b, c) = (ids[0], ids[1], ids[2])
        let redis = try #require(RedisSync(port: s.redisPort))
        let match = UInt64.random(in: 1_000_000...9_000_000)
        func feed(_ karts: [Int64: KartPosition]) {
            _ = redis.run("PUBLISH", s.prefix + "positions", PositionReport.positions(match: match, tick: 1, karts: karts).text)
        }
        let near: [Int64: KartPosition] = [a: .init(x: 0, y: 0), b: .init(x: 5, y: 0), c: .init(x: 300, y: 0)]
        feed(near)  // before anyone connects: the match is known on connect

        let peers = try ids.map { id in try VoicePeerProcess(name: "\(id)", log: "\(s.dir)/peer-\(id).log") }
        defer { peers.forEach { $0.stop() } }
        let clients = sessions.map { VoiceClient(url: "ws://127.0.0.1:\(httpPort)/v1/voice", accessToken: $0.accessToken) }
        defer { clients.forEach { $0.close() } }
        clients.forEach { $0.connect() }

        var currentPositions = near
        var connects: [Int64: [Int64]] = [:], disconnects: [Int64: [Int64]] = [:], audible: [Int64: [Speaker]] = [:]
        var errors: [Int64: [String]] = [:], closes: [Int64: Int] = [:]
        /// One round of the bridge: service events to the aiortc peers and their SDP back.
        func pump() {
            for (i, client) in clients.enumerated() {
                let me = ids[i], peer = peers[i]
                client.poll { e in
                    switch e {
                    case .welcome(_, let turn):
                        peer.send(["cmd": "turn", "urls": turn.urls, "username": turn.username, "credential": turn.credential])
                    case .connect(let other, let initiator):
                        connects[me, default: []].append(other)
                        peer.send(["cmd": "connect", "peer": "\(other)", "initiator": initiator])
                    case .disconnect(let other):
                        disconnects[me, default: []].append(other)
                        peer.send(["cmd": "close", "peer": "\(other)"])
                    case .offer(let from, let sdp): peer.send(["cmd": "offer", "peer": "\(from)", "sdp": sdp])
                    case .answer(let from, let sdp): peer.send(["cmd": "answer", "peer": "\(from)", "sdp": sdp])
                    case .audible(let speakers): audible[me] = speakers
                    case .error(let code, _): errors[me, default: []].append(code)
                    case .closed(let code, _): closes[me] = code
                    default: break
                    }
                }
                for ev in peer.drain() {
                    guard let kind = ev["event"] as? String, let p = (ev["peer"] as? String).flatMap({ Int64($0) }), let sdp = ev["sdp"] as? String else { continue }
                    if kind == "offer" { client.sendOffer(to: p, sdp: sdp) } else if kind == "answer" { client.sendAnswer(to: p, sdp: sdp) }
                }
            }
        }
        func run(seconds: Double, until done: () -> Bool) -> Bool {
            let end = Date().addingTimeInterval(seconds)
            var lastFeed = Date.distantPast
            while Date() < end {
                pump()
                if done() { return true }
                if Date().timeIntervalSince(lastFeed) > 0.2 { feed(currentPositions); lastFeed = Date() }
                usleep(20_000)
            }
            return false
        }
        // A and B hear each other (real audio, not silence) through coturn; C hears no one.
        let heard = run(seconds: 30) {
            let ab = peers[0].frames(from: b), ba = peers[1].frames(from: a)
            return ab.count > 25 && ba.count > 25 && ab.peak > 1000 && ba.peak > 1000
        }
        #expect(heard, "A<-B \(peers[0].frames(from: b)), B<-A \(peers[1].frames(from: a)); connects \(connects); errors \(errors)\n\(s.log("services").suffix(1500))")
        #expect(connects[a] == [b] && connects[b] == [a] && connects[c] == nil, "\(connects)")
        #expect(audible[a]?.map(\.player) == [b] && (audible[a]?.first?.gain ?? 0) > 0.5 && (audible[a]?.first?.gain ?? 1) < 1, "\(String(describing: audible[a]))")
        #expect(peers[2].frames(from: a).count == 0 && peers[2].frames(from: b).count == 0)
        // C may not signal A (out of range); oversized SDP is refused too; both counted.
        clients[2].sendOffer(to: a, sdp: "v=0")
        clients[0].sendOffer(to: b, sdp: String(repeating: "x", count: 17_000))
        #expect(run(seconds: 5) { errors[c]?.contains("not_in_range") == true && errors[a]?.contains("too_large") == true }, "\(errors)")

        // B drives away: both are told to disconnect, and the audio stops.
        currentPositions = [a: .init(x: 0, y: 0), b: .init(x: 120, y: 0), c: .init(x: 300, y: 0)]
        #expect(run(seconds: 10) { disconnects[a] == [b] && disconnects[b] == [a] }, "\(disconnects)")
        // Frames in flight land (a peer starved of CPU may count buffered ones late): wait until
        // neither count has moved for half a second, then nothing more may come.
        var stopped = (-1, -1), movedAt = monotonicMillis()
        let settled = run(seconds: 10) {
            let now = (peers[0].frames(from: b).count, peers[1].frames(from: a).count)
            if now != stopped { stopped = now; movedAt = monotonicMillis() }
            return monotonicMillis() - movedAt >= 500
        }
        #expect(settled, "audio kept flowing after the disconnect: \(peers[0].frames(from: b)), \(peers[1].frames(from: a))")
        _ = run(seconds: 1.5) { false }
        #expect(peers[0].frames(from: b).count - stopped.0 <= 2 && peers[1].frames(from: a).count - stopped.1 <= 2,
                "audio kept flowing after the disconnect: \(stopped) -> \(peers[0].frames(from: b)), \(peers[1].frames(from: a))")
        #expect(audible[a]?.isEmpty == true, "\(String(describing: audible[a]))")
        // And the service refuses to signal between them now.
        let refusedBefore = errors[a]?.filter { $0 == "not_in_range" }.count ?? 0
        clients[0].sendOffer(to: b, sdp: "v=0")
        #expect(run(seconds: 5) { (errors[a]?.filter { $0 == "not_in_range" }.count ?? 0) > refusedBefore }, "\(errors)")
        // The C ABI: a fourth player, next to A, through libKartKlashClient (Tests/CAPI/voice.c).
        let dSession = try auth.loginDevice(deviceId: "voice-\(tag)-capi")
        let prefs = "\(s.dir)/session.json"
        try SecurePreferences(path: prefs).save(dSession)
        currentPositions[dSession.accountId] = KartPosition(x: 3, y: 0)
        let exe = "\(s.dir)/capi-voice"
        let failure = try SystemTest.compileCProgram("voice.c", to: exe, logDir: s.dir)
        try #require(failure == nil, "\(failure ?? "")")
        let capi = try ChildProcess(path: exe, arguments: ["http://127.0.0.1:\(httpPort)", prefs, "ws://127.0.0.1:\(httpPort)/v1/voice", "\(a)", "\(c)"],
                                    logPath: "\(s.dir)/capi.log")
        var status: Int32?
        _ = run(seconds: 40) { status = capi.wait(seconds: 0.01); return status != nil }
        if status == nil { capi.stop() }
        let out = (try? String(contentsOfFile: "\(s.dir)/capi.log", encoding: .utf8)) ?? ""
        #expect(status == 0 && out.contains("ALL OK"), "\(out)")

        // A flood of signalling: refused (rate_limited), then the socket is closed (4008).
        // (Sent until the close comes: how many get through per moment depends on the machine.)
        #expect(run(seconds: 20) {
            for _ in 0..<50 { clients[2].sendRaw(#"{"type":"ping"}"#) }
            return closes[c] == 4008
        }, "\(closes) \(errors[c]?.count ?? 0)")
        #expect(errors[c]?.contains("rate_limited") == true)
        let metrics = SystemTest.http(port: httpPort, path: "/metrics")?.body ?? ""
        #expect(metrics.contains("kk_voice_refused_total{reason=\"not_in_range\"}") && metrics.contains("kk_voice_messages_total{type=\"offer\"}")
                && metrics.contains("kk_voice_refused_total{reason=\"flood\"}"),
                "\(metrics.split(separator: "\n").filter { $0.contains("kk_voice") })")
    }
}

/// A server started by one of Ops/scripts that prints "PORT PID DIR"; stopped by pid.
struct ScriptedServer {
    let port: Int
    let pid: Int32
    let dir: String

    static func start(script: String, args: [String], dir: String) throws -> ScriptedServer {
        let path = SystemTest.packageRoot.appendingPathComponent(script).path
        let answer = "\(dir)/\(URL(fileURLWithPath: script).lastPathComponent).out"
        let p = try ChildProcess(path: "/bin/bash", arguments: ["-c", "bash \"$0\" \"$@\" > \"\(answer)\"", path] + args,
                                 logPath: "\(dir)/\(URL(fileURLWithPath: script).lastPathComponent).log")
        guard p.wait(seconds: 30).map({ ($0 >> 8) & 0xff }) == 0 else { throw StackError("\(script) failed") }
        let f = ((try? String(contentsOfFile: answer, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        guard f.count == 3, let port = Int(f[0]), let pid = Int32(f[1]) else { throw StackError("\(script): \(f)") }
        return ScriptedServer(port: port, pid: pid, dir: f[2])
    }

    func stop() { kill(pid, SIGTERM); try? FileManager.default.removeItem(atPath: dir) }
}
