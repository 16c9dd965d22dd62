import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKImpair
import KKLoad
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import KKWire
import Testing

/// A stack (redis + kk-shard + kk-relay processes) with one match allocated and a token file.
final class ClientStack {
    let s: StackProcesses
    let matchId: UInt64
    let token: ConnectToken
    let tokenPath: String

    /// The track the shard races: the lap tests use the short `sprint` oval (a lap in ~13 s).
    let track: String

    init(_ name: String, match: UInt64, playersPerMatch: Int = 1, laps: Int = 1, track: String = "oval",
         relays: [String] = ["r1"]) throws {
        let s = try StackProcesses(name)
        self.s = s
        matchId = match
        self.track = track
        try s.shard("s1", extra: ["--players-per-match", "\(playersPerMatch)", "--laps", "\(laps)", "--track", track])
        for r in relays { try s.relay(r) }
        guard s.ready("s1") else { throw StackError("kk-shard not ready; log:\n\(s.log("s1").suffix(1500))") }
        for r in relays where !s.ready(r) { throw StackError("\(r) not ready; log:\n\(s.log(r).suffix(1500))") }
        guard let redis = RedisSync(port: s.redisPort) else { throw StackError("redis unreachable") }
        redis.run("HSET", s.prefix + "match:\(match)", "shard", "s1", "state", "open", "slots", "\(playersPerMatch)", "players", "1")
        redis.run("SADD", s.prefix + "matches:active", "\(match)")
        redis.run("SET", s.prefix + "match:\(match):owner", "s1", "PX", "800")
        redis.run("PUBLISH", s.prefix + "events", "alloc \(match) s1")
        token = try TokenIssuer(key: s.key).issue(playerId: 40 + match, matchId: match, now: UInt64(time(nil)), validSeconds: 300,
                                                  relays: relays.map { "127.0.0.1:\(s.udpPorts[$0]!)" })
        let path = "\(s.dir)/token.json"
        tokenPath = path
        // The match service's answer shape: {"token": ..., "matchId": ...}.
        let data = try JSONEncoder().encode(MatchTicket(token: token, matchId: match))
        try data.write(to: URL(fileURLWithPath: path))
    }

    func stop() { s.stopAll() }

    /// Client settings for this stack's track.
    var clientConfig: ClientConfig {
        var c = ClientConfig()
        c.track = track
        return c
    }
}

struct StackError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The client SDK, the kk-client executable and the C ABI against real processes.
@Suite(.serialized) struct ClientTests {
    /// Documented bound (docs/ARCHITECTURE-client.md): the predicted local kart equals the
    /// authoritative one for >= 90 % of frames, mean error <= 0.05 m, max <= 1.5 m.
    /// Through the impairing proxy (50 ms RTT, 10 ms jitter, 5% loss and 2% reordering each
    /// way) a bot still finishes its lap, with corrections within the bounds of
    /// docs/GAMEPLAY.md (p99 <= 1.5 m, <= 3 corrections per second).
    @Test func impairedBotFinishesALapThroughTheImpairingProxy() throws {
        let stack = try ClientStack("sdk-impaired-lap", match: 955, track: "sprint")
        defer { stack.stop() }
        let loop = try EventLoop()
        let profile = ImpairmentProfile(latencyMillis: 25, jitterMillis: 10, loss: 0.05, duplicate: 0, reorder: 0.02)
        let proxy = ImpairingProxy(loop: loop, impairment: LinkImpairment(up: profile, down: profile, seed: 9), seed: 9)
        defer { proxy.close() }
        var token = stack.token
        token.relays = [try proxy.frontAddress(for: stack.token.relays[0])]
        var driver: BotDriver?
        let track = try TrackCatalog.track(named: stack.track)
        let client = try GameClient(loop: loop, token: token, config: stack.clientConfig) { state, slot in
            guard let state, let slot else { return .neutral }
            if driver == nil { driver = BotDriver(slot: slot, seed: 1) }
            return driver!.input(state: state, track: track)
        }
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 15_000) { client.session.state == .playing })
        let playingAt = monotonicMillis()
        func finished() -> Bool {
            guard let a = client.session.authoritativeState, let slot = client.session.slot else { return false }
            return a.karts[slot].status == .finished
        }
        #expect(drive(loop, timeoutMillis: 90_000) { finished() || client.session.state.isEnded })
        #expect(finished(), "no finish; state \(client.session.state)")
        let st = client.session.stats
        let secs = Double(monotonicMillis() - playingAt) / 1000
        print("FIGURE impaired-lap seconds=\(secs) corrections=\(st.corrections) corr-per-s=\(Double(st.corrections) / secs)"
              + " corr-mean-m=\(st.correctionMeanMetres) corr-p99-m=\(st.correctionP99Metres) snaps=\(st.snaps)"
              + " rtt-ms=\(st.rttMillis) down-loss=\(st.downLoss) proxy-dropped=\(proxy.dropped)")
        // Correction figures through a live impaired link are printed, not judged (they move
        // with the machine's load); KKNetSimTests judges the same bounds in virtual time.
        #expect(proxy.dropped > 0)
        #expect(st.framesReceived > 0 && st.inputChecks > 0)
    }

    @Test func sdkBotCompletesALapWithDeltaFrames() throws {
        let stack = try ClientStack("sdk-lap", match: 951, track: "sprint")
        defer { stack.stop() }
        let loop = try EventLoop()
        var driver: BotDriver?
        let track = try TrackCatalog.track(named: stack.track)
        let client = try GameClient(loop: loop, token: stack.token, config: stack.clientConfig) { state, slot in
            guard let state, let slot else { return .neutral }
            if driver == nil { driver = BotDriver(slot: slot, seed: 1) }
            return driver!.input(state: state, track: track)
        }
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing })
        let playingAt = monotonicMillis()
        let startWire = client.wireTotals
        func finished() -> Bool {
            guard let a = client.session.authoritativeState, let slot = client.session.slot else { return false }
            return a.karts[slot].status == .finished
        }
        #expect(drive(loop, timeoutMillis: 90_000) { finished() || client.session.state.isEnded },
                "no finish; state \(client.session.state) relay log:\n\(stack.s.log("r1").suffix(1500))")
        #expect(finished())
        let secs = Double(monotonicMillis() - playingAt) / 1000
        let w = client.wireTotals
        let st = client.session.stats
        let exactShare = Double(st.predictionExact) / Double(max(1, st.predictionChecks))
        print("FIGURE sdk-lap seconds=\(secs) wire-up-kbps=\(Double(w.bytesUp - startWire.bytesUp) * 8 / 1000 / secs)"
              + " wire-down-kbps=\(Double(w.bytesDown - startWire.bytesDown) * 8 / 1000 / secs)"
              + " datagrams-up=\(w.datagramsUp) datagrams-down=\(w.datagramsDown)"
              + " frames=\(st.framesReceived) full=\(st.framesFull) inputs=\(st.inputPacketsSent)"
              + " pred-exact=\(st.predictionExact)/\(st.predictionChecks) pred-mean-m=\(st.predictionErrorMeanMetres)"
              + " pred-max-m=\(st.predictionErrorMaxMetres) corrections=\(st.corrections) corr-mean-m=\(st.correctionMeanMetres)"
              + " corr-p99-m=\(st.correctionP99Metres) snaps=\(st.snaps) rtt-ms=\(st.rttMillis) up-loss=\(st.upLoss) down-loss=\(st.downLoss)")
        // Functional facts only: prediction quality and loss on a live stack depend on how fast
        // the machine is right now (a starved relay delivers inputs late), so they are figures
        // above; their bounds are judged in virtual time by KKNetSimTests.
        #expect(st.predictionChecks > 150)
        #expect(exactShare > 0, "no prediction ever matched the authoritative state")
        #expect(st.inputChecks > 0 && st.inputMisses < st.inputChecks, "no input of the client was ever applied")
        #expect(st.framesDelta > 10 * st.framesFull)
    }

    /// Two bots in one match (contacts make the other kart's future input matter): figures for
    /// corrections; the same documented prediction bound.
    @Test func twoBotsRaceALapTogether() throws {
        let stack = try ClientStack("sdk-two", match: 956, playersPerMatch: 2, track: "sprint")
        defer { stack.stop() }
        let loop = try EventLoop()
        let track = try TrackCatalog.track(named: stack.track)
        var clients: [GameClient] = []
        for i in 0..<2 {
            let token = try TokenIssuer(key: stack.s.key).issue(playerId: 700 + UInt64(i), matchId: 956, now: UInt64(time(nil)),
                                                                validSeconds: 300, relays: stack.token.relays)
            var driver: BotDriver?
            clients.append(try GameClient(loop: loop, token: token, config: stack.clientConfig) { state, slot in
                guard let state, let slot else { return .neutral }
                if driver == nil { driver = BotDriver(slot: slot, seed: 7) }
                return driver!.input(state: state, track: track)
            })
        }
        defer { clients.forEach { $0.stop() } }
        func done(_ c: GameClient) -> Bool {
            guard let a = c.session.authoritativeState, let slot = c.session.slot else { return c.session.state.isEnded }
            return a.karts[slot].status != .racing || a.race.phase == .finished
        }
        #expect(drive(loop, timeoutMillis: 120_000) { clients.allSatisfy(done) })
        for (i, c) in clients.enumerated() {
            let st = c.session.stats
            print("FIGURE two-bots client=\(i) frames=\(st.framesReceived) pred-exact=\(st.predictionExact)/\(st.predictionChecks)"
                  + " pred-mean-m=\(st.predictionErrorMeanMetres) pred-max-m=\(st.predictionErrorMaxMetres) corrections=\(st.corrections)"
                  + " corr-mean-m=\(st.correctionMeanMetres) corr-p99-m=\(st.correctionP99Metres) rollbacks=\(st.rollbacks) snaps=\(st.snaps)")
            // Prediction quality is a figure here (live timing); KKNetSimTests judges it.
            #expect(st.predictionChecks > 100 && st.predictionExact > 0)
            #expect(st.rollbacks > 0, "the remote kart's guessed inputs were never re-checked")
            #expect(!c.session.state.isEnded || c.session.state == .ended(.server(.matchOver)), "\(c.session.state)")
        }
    }

    @Test func headlessBotFinishesTheRaceAndExitsZero() throws {
        let stack = try ClientStack("headless", match: 952, track: "sprint")
        defer { stack.stop() }
        let log = "\(stack.s.dir)/client.log"
        let p = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--token-file", stack.tokenPath, "--headless", "--bot", "--track", stack.track], logPath: log)
        let status = p.wait(seconds: 90)
        let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if status == nil { p.stop() }
        #expect(status == 0, "kk-client did not exit 0 (\(String(describing: status))):\n\(out.suffix(3000))")
        #expect(out.contains("race finished: position 1/1"))
        #expect(out.contains("] playing"))
        #expect(out.contains("up ") && out.contains(" kbps"))
        for l in out.split(separator: "\n") where l.hasPrefix("summary:") { print("FIGURE headless \(l)") }
    }

    @Test func headlessClientSaysWhyWhenTheTicketExpiredOrTheServiceIsUnreachable() throws {
        let dir = SystemTest.tempDir("client-errors")
        // An expired token is refused before any packet is sent.
        let key = try TokenKey.random()
        let old = try TokenIssuer(key: key).issue(playerId: 1, matchId: 1, now: UInt64(time(nil)) - 600, validSeconds: 60,
                                                  relays: ["127.0.0.1:9"])
        try JSONEncoder().encode(old).write(to: URL(fileURLWithPath: "\(dir)/old.json"))
        let p = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--token-file", "\(dir)/old.json", "--headless"], logPath: "\(dir)/old.log")
        #expect(p.wait(seconds: 20).map { ($0 >> 8) & 0xFF } == 1)
        #expect((try? String(contentsOfFile: "\(dir)/old.log", encoding: .utf8))?.contains("your ticket expired; ask for a new match") == true)
        // Nothing listens on the match service port.
        let port = SystemTest.freePort()
        let q = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--match-url", "http://127.0.0.1:\(port)", "--headless"], logPath: "\(dir)/nomatch.log")
        #expect(q.wait(seconds: 20).map { ($0 >> 8) & 0xFF } == 2)
        #expect((try? String(contentsOfFile: "\(dir)/nomatch.log", encoding: .utf8))?.contains("cannot reach the match service") == true)
        // A valid ticket whose relay does not answer: given up after the handshake deadline (4 s).
        let dead = try TokenIssuer(key: key).issue(playerId: 1, matchId: 1, now: UInt64(time(nil)), validSeconds: 60,
                                                   relays: ["127.0.0.1:\(SystemTest.freePort(udp: true))"])
        try JSONEncoder().encode(dead).write(to: URL(fileURLWithPath: "\(dir)/dead.json"))
        let r = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--token-file", "\(dir)/dead.json", "--headless"], logPath: "\(dir)/dead.log")
        #expect(r.wait(seconds: 20).map { ($0 >> 8) & 0xFF } == 1)
        #expect((try? String(contentsOfFile: "\(dir)/dead.log", encoding: .utf8))?.contains("no game relay answered") == true)
    }

    /// A stand-in for kk-match (built on another branch): one HTTP/1.1 answer on a thread.
    final class FakeMatchService: @unchecked Sendable {
        let port: UInt16
        private let fd: Int32
        private(set) var request = ""
        private let done = DispatchSemaphore(value: 0)

        init(status: String, body: String, chunked: Bool) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            listen(fd, 4)
            port = UInt16(bigEndian: addr.sin_port)
            let head = "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\n"
                + (chunked ? "Transfer-Encoding: chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
                           : "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let listener = fd
            Thread.detachNewThread { [self] in
                let c = accept(listener, nil, nil)
                var buf = [UInt8](repeating: 0, count: 8192)
                var got = [UInt8]()
                while true {   // headers, then Content-Length bytes of body
                    let n = recv(c, &buf, buf.count, 0)
                    if n <= 0 { break }
                    got += buf[0..<n]
                    let text = String(decoding: got, as: UTF8.self)
                    if let r = text.range(of: "\r\n\r\n") {
                        let cl = text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                        if text[r.upperBound...].utf8.count >= cl { break }
                    }
                }
                request = String(decoding: got, as: UTF8.self)
                _ = head.withCString { send(c, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(c)
                done.signal()
            }
        }

        func wait() -> Bool { done.wait(timeout: .now() + 10) == .success }
        deinit { close(fd) }
    }

    /// kk-client --match-url: POST /v1/match {"player": name}, ticket from the answer, plays.
    @Test func ticketFromTheMatchServiceThenPlay() throws {
        let stack = try ClientStack("matchurl", match: 955)
        defer { stack.stop() }
        let answer = String(decoding: try JSONEncoder().encode(MatchTicket(token: stack.token, matchId: 955)), as: UTF8.self)
        let service = try FakeMatchService(status: "200 OK", body: answer, chunked: true)
        let log = "\(stack.s.dir)/client.log"
        let p = try ChildProcess(path: SystemTest.product("kk-client"), arguments: [
            "--match-url", "http://127.0.0.1:\(service.port)", "--player", "ada", "--headless", "--bot", "--seconds", "6",
        ], logPath: log)
        let status = p.wait(seconds: 30)
        if status == nil { p.stop() }
        let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(service.wait())
        #expect(service.request.hasPrefix("POST /v1/match HTTP/1.1\r\n"))
        #expect(service.request.hasSuffix("{\"player\":\"ada\"}"))
        #expect(status == 0, "\(out.suffix(2000))")
        #expect(out.contains("] playing"))
        #expect(out.contains("6.0 s elapsed"))

        // The service refuses: the player reads why, exit 2.
        let busy = try FakeMatchService(status: "503 Service Unavailable", body: "{\"error\":\"no capacity\"}", chunked: false)
        let q = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--match-url", "http://127.0.0.1:\(busy.port)", "--headless"], logPath: "\(stack.s.dir)/busy.log")
        #expect(q.wait(seconds: 20).map { ($0 >> 8) & 0xFF } == 2)
        #expect(stack.s.log("busy").contains("no match available right now"))
    }

    /// Compiles Tests/CAPI/bot.c with /usr/bin/cc against libKartKlashClient.so and runs it.
    @Test func cProgramDrivesABotThroughTheCABI() throws {
        let stack = try ClientStack("capi", match: 953, playersPerMatch: 2, laps: 3)
        defer { stack.stop() }
        let exe = "\(stack.s.dir)/capi-bot"
        let failure = try SystemTest.compileCProgram("bot.c", to: exe, logDir: stack.s.dir)
        try #require(failure == nil, "\(failure ?? "")")
        let bot = try ChildProcess(path: exe, arguments: [stack.tokenPath, "120", "20"], logPath: "\(stack.s.dir)/capi.log")
        let status = bot.wait(seconds: 40)
        if status == nil { bot.stop() }
        let out = stack.s.log("capi")
        #expect(status == 0, "C bot failed (\(String(describing: status))):\n\(out.suffix(3000))")
        #expect(out.contains("state playing: connected"))
        #expect(out.contains("bad token refused: "))
        #expect(out.contains("OK playing and received frames"))
        #expect(out.contains("after quit: ended (reason 1)"))
        #expect(out.contains("failover 0 moves 0"), "no relay move: KK_FAILOVER_NONE")
        for l in out.split(separator: "\n") where l.hasPrefix("frames ") { print("FIGURE capi \(l)") }
    }
}

/// kk-client as a person runs it: in an 80x24 terminal (a tmux pane), keys sent with
/// `tmux send-keys`, the screen read with `tmux capture-pane`. tmux runs on a private socket
/// (-L) and is stopped with kill-server on that socket.
@Suite(.serialized) struct TerminalClientTests {
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    final class Tmux {
        let path: String
        let socket = "kktest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let dir: String
        var n = 0
        init(path: String, dir: String) { self.path = path; self.dir = dir }

        /// Runs one tmux command; returns its exit status and output.
        @discardableResult
        func run(_ args: [String]) -> (status: Int32?, out: String) {
            n += 1
            let log = "\(dir)/tmux-\(n).out"
            guard let p = try? ChildProcess(path: path, arguments: ["-L", socket, "-f", "/dev/null"] + args, logPath: log) else {
                return (nil, "")
            }
            let st = p.wait(seconds: 10)
            return (st, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }

        func screen() -> String { run(["capture-pane", "-p", "-t", "kk"]).out }

        /// Polls the pane (another process's screen: nothing to await) until `cond` holds.
        func waitScreen(seconds: Double, _ cond: (String) -> Bool) -> String? {
            var last = ""
            let ok = SystemTest.eventually(seconds: seconds) { last = screen(); return cond(last) }
            return ok ? last : nil
        }

        func keys(_ k: String...) { run(["send-keys", "-t", "kk"] + k) }

        func stop() { run(["kill-server"]) }
    }

    /// The own kart `@` on the map rows of a captured screen.
    static func ownKart(_ screen: String) -> (Int, Int)? {
        for (r, line) in screen.split(separator: "\n", omittingEmptySubsequences: false).prefix(22).enumerated() {
            if let i = line.firstIndex(of: "@") { return (r, line.distance(from: line.startIndex, to: i)) }
        }
        return nil
    }

    @Test func playInTmuxUpMovesTheKartCtrlCAndSigtermRestoreTheTerminal() throws {
        guard let tmuxPath = Self.which("tmux") else {
            Issue.record("tmux is not installed: this test drives kk-client in a tmux pane (apt-get install tmux); the project's install script adds it")
            return
        }
        let stack = try ClientStack("tmux", match: 954, playersPerMatch: 4, laps: 3)
        defer { stack.stop() }
        let tmux = Tmux(path: tmuxPath, dir: stack.s.dir)
        defer { tmux.stop() }
        let started = tmux.run(["new-session", "-d", "-s", "kk", "-x", "80", "-y", "24", "env PS1='kkshell$ ' /bin/sh"])
        #expect(started.status == 0, "tmux new-session failed: \(started.out)")
        #expect(tmux.waitScreen(seconds: 5) { $0.contains("kkshell$") } != nil)
        #expect(tmux.run(["display", "-p", "-t", "kk", "#{pane_width}x#{pane_height}"]).out.hasPrefix("80x24"))
        let client = SystemTest.product("kk-client")
        tmux.keys("\(client) --token-file \(stack.tokenPath); echo kk-exit=$?", "Enter")

        // The track and the HUD are drawn.
        let first = tmux.waitScreen(seconds: 15) { $0.contains("Relay 127.0.0.1:") && $0.contains("| connected") && $0.contains("Lap ") }
        #expect(first != nil, "no HUD; screen:\n\(tmux.screen())\nrelay log:\n\(stack.s.log("r1").suffix(1000))")
        guard let screen = first else { return }
        print("FIGURE tmux-screen\n\(screen)")
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(22).contains { $0.contains("#") } && screen.contains(":"))
        #expect(Self.ownKart(screen) != nil)
        #expect(["1", "2", "3", "4"].filter { d in lines.prefix(22).contains { $0.contains(d) } }.count >= 3, "other karts on the grid")
        #expect(tmux.run(["display", "-p", "-t", "kk", "#{alternate_on} #{cursor_flag}"]).out.hasPrefix("1 0"))

        // After the countdown, holding Up (a press every 100 ms, like auto-repeat) moves the kart.
        let racing = tmux.waitScreen(seconds: 10) { !$0.contains("GET READY") && $0.contains("Lap ") }
        #expect(racing != nil)
        let before = Self.ownKart(racing ?? "")
        var moved: String?
        for _ in 0..<50 where moved == nil {
            tmux.keys("Up")
            usleep(100_000)   // key repeat pacing (a held key), not a wait for an event
            let s = tmux.screen()
            if let now = Self.ownKart(s), let b = before, now != b { moved = s }
        }
        #expect(moved != nil, "the kart did not move; screen:\n\(tmux.screen())")
        if let m = moved { print("FIGURE tmux-after-up\n\(m)") }

        // Ctrl-C leaves: the shell prompt is back, the alternate screen left, the cursor shown,
        // the tty cooked again (icanon, echo).
        tmux.keys("C-c")
        let after = tmux.waitScreen(seconds: 10) { $0.contains("kk-exit=0") }
        #expect(after != nil, "no exit after Ctrl-C; screen:\n\(tmux.screen())")
        #expect(!(after ?? "Relay ").contains("Relay 127.0.0.1"))
        #expect(after?.contains("kk-client: you left the match") == true)
        #expect(tmux.run(["display", "-p", "-t", "kk", "#{alternate_on} #{cursor_flag}"]).out.hasPrefix("0 1"))
        tmux.keys("echo TTY:$(stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e -echo -e icanon -e echo | tr '\\n' ' ')END", "Enter")
        #expect(tmux.waitScreen(seconds: 5) { $0.contains("TTY:icanon echo END") } != nil, "tty not restored:\n\(tmux.screen())")

        // SIGTERM (by pid) restores the terminal too.
        tmux.keys("clear", "Enter")
        let pidFile = "\(stack.s.dir)/client.pid"
        tmux.keys("sh -c 'echo $$ > \(pidFile); exec \(client) --token-file \(stack.tokenPath)'; echo kk-exit2=$?", "Enter")
        #expect(tmux.waitScreen(seconds: 15) { $0.contains("Relay 127.0.0.1:") } != nil)
        let pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(pid != nil)
        kill(pid!, SIGTERM)
        let termed = tmux.waitScreen(seconds: 10) { $0.contains("kk-exit2=0") }
        #expect(termed != nil, "no exit after SIGTERM; screen:\n\(tmux.screen())")
        #expect(termed?.contains("stopped by signal") == true)
        #expect(tmux.run(["display", "-p", "-t", "kk", "#{alternate_on} #{cursor_flag}"]).out.hasPrefix("0 1"))
        tmux.keys("clear; echo TTY:$(stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e -echo -e icanon -e echo | tr '\\n' ' ')END", "Enter")
        #expect(tmux.waitScreen(seconds: 5) { $0.contains("TTY:icanon echo END") } != nil, "tty not restored:\n\(tmux.screen())")
    }
}

/// The relay's unauthenticated ping against a real kk-relay: round trips measured with the SDK,
/// answers smaller than requests, malformed pings unanswered, counted in /metrics.
@Suite(.serialized) struct RelayPingSystemTests {
    @Test func aRealRelayAnswersPingsAndOnlyPings() throws {
        let s = try StackProcesses("relay-ping")
        defer { s.stopAll() }
        try s.relay("r1")
        // Listening is enough (ready needs a shard; pings do not).
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: s.adminPorts["r1"]!, path: "/healthz")?.status == 200 },
                "\(s.log("r1").suffix(1500))")
        let udp = try #require(s.udpPorts["r1"])
        let results = RelayPinger.measure(relays: ["127.0.0.1:\(udp)", "127.0.0.1:1", "not-an-address"], count: 5, timeoutMillis: 1_000)
        #expect(results[0].medianMillis != nil && results[0].answered >= 0.6 && results[0].load == 0, "\(results[0])")
        #expect(results[1].medianMillis == nil && results[2].medianMillis == nil)
        // A 31-byte "ping" is not one: no answer (the DTLS gate drops it).
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET); a.sin_port = udp.bigEndian; a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bad = Array(RelayPing.request(nonce: 9).dropLast())
        _ = withUnsafePointer(to: &a) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bad, bad.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 300) == 0, "no answer to a malformed ping")
        let metrics = SystemTest.http(port: s.adminPorts["r1"]!, path: "/metrics")?.body ?? ""
        #expect((SystemTest.metric(metrics, "kk_relay_pings_answered_total") ?? 0) >= 3, "\(metrics.prefix(400))")
        // The relay publishes its heap in use (glibc's figure here; a relay holds megabytes).
        #expect((SystemTest.metric(metrics, "kk_process_heap_bytes") ?? 0) > 1_000_000, "\(metrics.prefix(400))")
    }
}
