import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWSClient
import HummingbirdWebSocket
import KKAccessToken
import KKLoad
import KKLobbyCore
import KKLocalStack
import KKToken
import Logging
import NIOConcurrencyHelpers

/// `kk-load lobbybench`: what the lobby's sockets cost, against a bare hummingbird-websocket
/// echo server measured in the same run (`kk-load ws-echo`, a child process, same machine,
/// same client code). Phases, every one bounded by count and time:
/// 1. sockets: `--sockets` sockets opened to each server at once (all must say hello / connect);
///    the servers' RSS growth per socket when their pids are known;
/// 2. events: the lobby's sockets sit in rooms of 8 and each changes its vote in a closed loop
///    (each change is a compare-and-set in Redis and one room event to 8 sockets); the echo's
///    sockets each echo in a closed loop; per second: lobby commands, lobby events delivered,
///    echo messages; the ratios;
/// 3. matchmaking: every socket leaves its room and queues for quick play at `--ticket-rate`
///    per second; time from a ticket to its race (the match message): p50/p99; tickets per
///    second matched. Needs a shard registered (LoadTests/lobbybench.sh starts one).
struct LobbyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lobbybench", abstract: "Lobby sockets, events/s and matchmaking, next to a bare WebSocket echo server.")

    @Option(help: "The lobby's socket (ws://127.0.0.1:PORT/v1/lobby).") var lobbyUrl: String
    @Option(help: "Ed25519 seed of the auth service's signing key, 64 hex (default: $KK_JWT_KEY): the bench mints its players' access tokens.") var jwtKey: String?
    @Option(help: "kk-services' pid (its RSS per socket).") var servicesPid: Int32?
    @Option(help: "Sockets per server (a multiple of 8).") var sockets = 256
    @Option(help: "Seconds of the closed-loop phase.") var seconds: Double = 5
    @Option(help: "Quick-play tickets per second in phase 3 (0: skip the phase).") var ticketRate: Double = 100

    func validate() throws {
        guard lobbyUrl.hasPrefix("ws://127.") else { throw ValidationError("--lobby-url must be a loopback ws:// URL") }
        guard (8...4096).contains(sockets), sockets % 8 == 0 else { throw ValidationError("--sockets must be 8-4096, a multiple of 8") }
        guard (1...60).contains(seconds) else { throw ValidationError("--seconds must be 1-60") }
        guard (0...5000).contains(ticketRate) else { throw ValidationError("--ticket-rate must be 0-5000") }
    }

    func run() throws { try runBlocking { try await self.runAsync() } }

    func runAsync() async throws {
        guard let hex = jwtKey ?? ProcessInfo.processInfo.environment["KK_JWT_KEY"], let seed = TokenKey.bytes(hex: hex), seed.count == 32 else {
            throw ValidationError("--jwt-key or KK_JWT_KEY: 64 hex characters")
        }
        let signer = try await AccessTokenSigner(seed: seed)
        let base = Int64.random(in: 1_000_000_000...9_000_000_000)
        var tokens: [String] = []
        for i in 0..<sockets {
            tokens.append(try await signer.sign(AccessClaims(account: base + Int64(i), session: UUID(), issuedAt: Date(), lifetimeSeconds: 3600)))
        }
        // The echo server: this binary's `ws-echo`, a process of its own like the lobby.
        let dir = NSTemporaryDirectory() + "kk-lobbybench-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (echo, echoPort) = try WSEcho.start(logDir: dir)
        defer { echo.stop() }
        print("lobbybench: \(sockets) sockets per server, \(seconds) s closed loop; echo on port \(echoPort)")

        let lobbyRSS0 = servicesPid.map(Self.rssKiB) ?? 0, echoRSS0 = Self.rssKiB(echo.pid)
        let lobbyRun = LobbyRun(url: lobbyUrl, tokens: tokens, seconds: seconds, ticketRate: ticketRate)
        let echoRun = EchoRun(url: "ws://127.0.0.1:\(echoPort)/echo", count: sockets, seconds: seconds)

        // Phase 1+2, echo first (the baseline), then the lobby.
        let e = await echoRun.run { print("lobbybench: echo: \(sockets) sockets open") }
        let echoRSS = Self.rssKiB(echo.pid)
        let l = await lobbyRun.run { print("lobbybench: lobby: \(sockets) sockets open, in \(sockets / 8) rooms") }
        let lobbyRSS = servicesPid.map(Self.rssKiB) ?? 0

        print(String(format: "sockets: lobby %d/%d open in %.2f s, echo %d/%d in %.2f s", l.opened, sockets, l.openSeconds, e.opened, sockets, e.openSeconds))
        if servicesPid != nil {
            let lp = Double(max(0, lobbyRSS - lobbyRSS0)) / Double(sockets), ep = Double(max(0, echoRSS - echoRSS0)) / Double(sockets)
            print(String(format: "memory per socket (RSS growth, incl. the closed loop's buffers): lobby %.1f KiB, echo %.1f KiB (ratio %.2f)", lp, ep, ep > 0 ? lp / ep : 0))
        }
        let echoRate = Double(e.messages) / seconds
        let cmdRate = Double(l.commands) / seconds, evRate = Double(l.events) / seconds
        print(String(format: "echo: %.0f messages/s (the baseline)", echoRate))
        print(String(format: "lobby: %.0f commands/s (each a Redis compare-and-set + a room event), %.0f events delivered/s, %d refused",
                     cmdRate, evRate, l.refused))
        print(String(format: "ratios: lobby commands/s / echo messages/s = %.3f; lobby events delivered/s / echo messages/s = %.3f",
                     echoRate > 0 ? cmdRate / echoRate : 0, echoRate > 0 ? evRate / echoRate : 0))
        if ticketRate > 0 {
            print(String(format: "matchmaking: %d tickets at %.0f/s, %d matched in %.2f s (%.0f tickets/s matched); time to match p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                         l.tickets, ticketRate, l.matched, l.matchSeconds, l.matchSeconds > 0 ? Double(l.matched) / l.matchSeconds : 0,
                         Double(l.timeToMatch.value(at: 50)) / 1000, Double(l.timeToMatch.value(at: 99)) / 1000,
                         Double(l.timeToMatch.max) / 1000))
        }
    }

    static func rssKiB(_ pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

/// `kk-load ws-echo`: the baseline server, a bare hummingbird-websocket echo (the lobby's frame
/// limit and ping period), printing `port N` once it listens. Stops on SIGTERM.
struct WSEcho: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ws-echo", abstract: "A bare WebSocket echo server (lobbybench's baseline).",
                                                    shouldDisplay: false)
    @Option(help: "Port (0: any).") var port = 0

    func run() throws { try runBlocking { try await self.runAsync() } }

    func runAsync() async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/echo") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 4096) {
                if case .text(let t) = message { try await outbound.writeTextMessage(t) }
            }
        }
        var logger = Logger(label: "ws-echo")
        logger.logLevel = .warning
        let ws = WebSocketServerConfiguration(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(15)))
        let app = Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: ws)),
                              configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { ch in FileHandle.standardOutput.write(Data("port \(ch.localAddress?.port ?? 0)\n".utf8)) }, logger: logger)
        try await app.runService()
    }
}

extension WSEcho {
    /// Starts this binary's `ws-echo` as a process of its own (the benchmarks' baseline); its
    /// port once it listens. Stop it by the returned process.
    static func start(logDir dir: String) throws -> (ChildProcess, Int) {
        let echo = try ChildProcess(path: CommandLine.arguments[0], arguments: ["ws-echo", "--port", "0"], logPath: "\(dir)/echo.log")
        var port = 0
        guard LocalProbe.eventually(seconds: 10, {
            let log = (try? String(contentsOfFile: "\(dir)/echo.log", encoding: .utf8)) ?? ""
            if let r = log.range(of: "port ") { port = Int(log[r.upperBound...].prefix { $0.isNumber }) ?? 0 }
            return port > 0
        }) else {
            echo.stop()
            throw ValidationError("ws-echo did not start")
        }
        return (echo, port)
    }
}

/// Runs async work from a synchronous subcommand (kk-load's root is synchronous: the other
/// subcommands block their thread, which must not be one of Swift concurrency's).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    let failure = NIOLockedValueBox<(any Error)?>(nil)
    Task {
        do { try await body() } catch { failure.withLockedValue { $0 = error } }
        done.signal()
    }
    done.wait()
    if let e = failure.withLockedValue({ $0 }) { throw e }
}

/// Shared counters of one server's run.
final class BenchCounters: Sendable {
    struct Values {
        var opened = 0, commands = 0, events = 0, refused = 0, messages = 0, tickets = 0, matched = 0
        var timeToMatch = LatencyHistogram()
        var firstTicket: Date?
        var lastMatch: Date?
    }
    let box = NIOLockedValueBox(Values())
    func update(_ f: (inout Values) -> Void) { box.withLockedValue(f) }
    var values: Values { box.withLockedValue { $0 } }
}

/// The echo sockets: connect all, then each echoes in a closed loop until the deadline.
struct EchoRun {
    let url: String
    let count: Int
    let seconds: Double

    func run(opened: @escaping @Sendable () -> Void) async -> (opened: Int, openSeconds: Double, messages: Int) {
        let c = BenchCounters()
        let start = Date()
        let gate = BenchGate()
        let openTime = NIOLockedValueBox(0.0)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    let logger = Logger(label: "bench")
                    _ = try? await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 16), logger: logger) { inbound, outbound, _ in
                        c.update { $0.opened += 1 }
                        let end = await gate.wait()
                        var it = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                        let text = #"{"op":"vote","track":"oval","ref":"\#(i)"}"#
                        while Date() < end {
                            try await outbound.writeTextMessage(text)
                            guard try await it.next() != nil else { break }
                            c.update { $0.messages += 1 }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
            group.addTask {
                while c.values.opened < count && Date().timeIntervalSince(start) < 60 { try? await Task.sleep(for: .milliseconds(10)) }
                openTime.withLockedValue { $0 = Date().timeIntervalSince(start) }
                opened()
                await gate.open(seconds: seconds)
            }
        }
        let v = c.values
        return (v.opened, openTime.withLockedValue { $0 }, v.messages)
    }
}

/// Opens once: everyone waiting gets the same deadline.
actor BenchGate {
    private var end: Date?
    private var waiters: [CheckedContinuation<Date, Never>] = []

    func wait() async -> Date {
        if let end { return end }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func open(seconds: Double) {
        let e = Date().addingTimeInterval(seconds)
        end = e
        for w in waiters { w.resume(returning: e) }
        waiters.removeAll()
    }
}

/// The lobby sockets: hello, rooms of 8 (one creates a private room, seven join by its code),
/// the closed loop of votes, then leave and queue for quick play at the ticket rate.
struct LobbyRun {
    let url: String
    let tokens: [String]
    let seconds: Double
    let ticketRate: Double

    struct Result {
        var opened = 0, openSeconds = 0.0, commands = 0, events = 0, refused = 0, tickets = 0, matched = 0
        var matchSeconds = 0.0
        var timeToMatch = LatencyHistogram()
    }

    func run(opened: @escaping @Sendable () -> Void) async -> Result {
        let c = BenchCounters()
        let start = Date()
        let loop = BenchGate(), queueGate = BenchGate()
        let codes = NIOLockedValueBox<[Int: String]>([:])
        let progress = NIOLockedValueBox((joined: 0, looped: 0))
        let openTime = NIOLockedValueBox(0.0)
        let count = tokens.count
        let ticketRate = ticketRate
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                let token = tokens[i]
                group.addTask {
                    let config = WebSocketClientConfiguration(maxFrameSize: 1 << 16, additionalHeaders: [.authorization: "Bearer \(token)"])
                    _ = try? await WebSocketClient.connect(url: url, configuration: config, logger: Logger(label: "bench")) { inbound, outbound, _ in
                        var it = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                        func next() async throws -> String? {
                            guard let m = try await it.next() else { return nil }
                            if case .text(let t) = m { return t }
                            return ""
                        }
                        func until(_ cond: (String) -> Bool) async throws -> String? {
                            while let t = try await next() { if cond(t) { return t } }
                            return nil
                        }
                        guard try await until({ $0.contains(#""type":"hello""#) }) != nil else { return }
                        c.update { $0.opened += 1 }
                        // Rooms of eight.
                        let g = i / 8
                        if i % 8 == 0 {
                            try await outbound.writeTextMessage(#"{"op":"create","ref":"create"}"#)
                            guard let t = try await until({ $0.contains(#""type":"room""#) }),
                                  let m = try? JSONDecoder().decode(LobbyMessage.self, from: Data(t.utf8)), let code = m.room?.code else { return }
                            codes.withLockedValue { $0[g] = code }
                        } else {
                            var code: String?
                            while code == nil {
                                code = codes.withLockedValue { $0[g] }
                                if code == nil { try await Task.sleep(for: .milliseconds(5)) }
                            }
                            try await outbound.writeTextMessage(#"{"op":"join","ref":"join","code":"\#(code!)"}"#)
                            guard try await until({ $0.contains(#""ref":"join""#) }) != nil else { return }
                        }
                        progress.withLockedValue { $0.joined += 1 }
                        // The closed loop.
                        let end = await loop.wait()
                        var n = 0
                        while Date() < end {
                            n += 1
                            let ref = "v\(n)"
                            try await outbound.writeTextMessage(#"{"op":"vote","ref":"\#(ref)","track":"\#(n % 2 == 0 ? "oval" : "sprint")"}"#)
                            var done = false
                            while !done, let t = try await next() {
                                if t.contains(#""type":"room""#) {
                                    c.update { $0.events += 1 }
                                } else if t.contains(#""ref":"\#(ref)""#) {
                                    done = true
                                    let ok = t.contains(#""type":"ok""#)
                                    c.update { if ok { $0.commands += 1 } else { $0.refused += 1 } }
                                }
                            }
                            if !done { return }
                        }
                        progress.withLockedValue { $0.looped += 1 }
                        guard ticketRate > 0 else { try await outbound.close(.normalClosure, reason: nil); return }
                        // Quick play: leave the room, then queue at this socket's moment.
                        try await outbound.writeTextMessage(#"{"op":"leave","ref":"leave"}"#)
                        guard try await until({ $0.contains(#""ref":"leave""#) }) != nil else { return }
                        let t0 = await queueGate.wait()
                        let at = t0.addingTimeInterval(Double(i) / ticketRate)
                        let wait = at.timeIntervalSinceNow
                        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                        let sent = Date()
                        c.update { $0.tickets += 1; if $0.firstTicket == nil || sent < $0.firstTicket! { $0.firstTicket = sent } }
                        try await outbound.writeTextMessage(#"{"op":"queue","ref":"q","pings":{"local":10}}"#)
                        let deadline = sent.addingTimeInterval(60)
                        while Date() < deadline, let t = try await next() {
                            if t.contains(#""type":"match""#) {
                                let now = Date()
                                c.update {
                                    $0.matched += 1
                                    $0.timeToMatch.record(UInt64(now.timeIntervalSince(sent) * 1_000_000))
                                    if $0.lastMatch == nil || now > $0.lastMatch! { $0.lastMatch = now }
                                }
                                break
                            }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
            group.addTask {
                let deadline = start.addingTimeInterval(120)
                while progress.withLockedValue({ $0.joined }) < count && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                openTime.withLockedValue { $0 = Date().timeIntervalSince(start) }
                opened()
                await loop.open(seconds: seconds)
                while progress.withLockedValue({ $0.looped }) < count && Date() < deadline.addingTimeInterval(seconds) {
                    try? await Task.sleep(for: .milliseconds(10))
                }
                await queueGate.open(seconds: 0)
            }
        }
        let v = c.values
        var r = Result()
        r.opened = v.opened; r.openSeconds = openTime.withLockedValue { $0 }; r.commands = v.commands; r.events = v.events
        r.refused = v.refused; r.tickets = v.tickets; r.matched = v.matched; r.timeToMatch = v.timeToMatch
        if let a = v.firstTicket, let b = v.lastMatch { r.matchSeconds = b.timeIntervalSince(a) }
        return r
    }
}
