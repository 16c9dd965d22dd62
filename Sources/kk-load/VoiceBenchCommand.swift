import ArgumentParser
import Foundation
import HummingbirdWSClient
import KKAccessToken
import KKLocalStack
import KKToken
import KKVoiceCore
import Logging
import NIOConcurrencyHelpers

/// `kk-load voicebench`: what the voice signalling service costs, next to the bare
/// hummingbird-websocket echo server (`kk-load ws-echo`) measured in the same run, same client
/// code. Phases, each bounded by count and time:
/// 1. peers: `--peers` sockets opened at once (each must get its `welcome` with TURN
///    credentials); the service's RSS growth per peer;
/// 2. signalling: the peers sit in matches of 8 as 4 pairs far apart (a position report per
///    match on the shards' channel, as the shards publish it), so each is linked with its pair
///    only; every peer sends offers to its partner in a closed loop (send, wait for the
///    partner's relayed offer) — each relayed message is authorized against the proximity
///    links; relayed messages/s next to echo messages/s.
struct VoiceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voicebench", abstract: "Voice signalling: peers per process and relayed messages/s, next to a bare WebSocket echo server.")

    @Option(help: "The voice socket (ws://127.0.0.1:PORT/v1/voice).") var voiceUrl: String
    @Option(help: "Ed25519 seed of the auth service's signing key, 64 hex (default: $KK_JWT_KEY).") var jwtKey: String?
    @Option(help: "Redis port of the position channel.") var redisPort: Int
    @Option(help: "Redis key prefix.") var redisPrefix = "kk:"
    @Option(help: "kk-services' pid (its RSS per peer).") var servicesPid: Int32?
    @Option(help: "Peers (a multiple of 8).") var peers = 256
    @Option(help: "Seconds of the closed-loop phase.") var seconds: Double = 5

    func validate() throws {
        guard voiceUrl.hasPrefix("ws://127.") else { throw ValidationError("--voice-url must be a loopback ws:// URL") }
        guard (8...4096).contains(peers), peers % 8 == 0 else { throw ValidationError("--peers must be 8-4096, a multiple of 8") }
        guard (1...60).contains(seconds) else { throw ValidationError("--seconds must be 1-60") }
    }

    func run() throws { try runBlocking { try await self.runAsync() } }

    func runAsync() async throws {
        guard let hex = jwtKey ?? ProcessInfo.processInfo.environment["KK_JWT_KEY"], let seed = TokenKey.bytes(hex: hex), seed.count == 32 else {
            throw ValidationError("--jwt-key or KK_JWT_KEY: 64 hex characters")
        }
        guard let redis = RedisSync(port: redisPort) else { throw ValidationError("redis on \(redisPort) does not answer") }
        let signer = try await AccessTokenSigner(seed: seed)
        let base = Int64.random(in: 1_000_000_000...9_000_000_000)
        var tokens: [String] = []
        for i in 0..<peers {
            tokens.append(try await signer.sign(AccessClaims(account: base + Int64(i), session: UUID(), issuedAt: Date(), lifetimeSeconds: 3600)))
        }
        // Matches of 8: pairs 2 m apart, pairs 1 km from each other.
        let matchBase = UInt64.random(in: 1_000_000...9_000_000)
        let reports: [String] = (0..<peers / 8).map { m in
            var karts: [Int64: KartPosition] = [:]
            for k in 0..<8 { karts[base + Int64(m * 8 + k)] = KartPosition(x: Double(k / 2) * 1000 + Double(k % 2) * 2, y: 0) }
            return PositionReport.positions(match: matchBase + UInt64(m), tick: 1, karts: karts).text
        }
        let feed = { for r in reports { _ = redis.run("PUBLISH", redisPrefix + "positions", r) } }
        feed()

        let dir = NSTemporaryDirectory() + "kk-voicebench-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (echo, echoPort) = try WSEcho.start(logDir: dir)
        defer { echo.stop() }
        print("voicebench: \(peers) peers per server (\(peers / 8) matches of 4 pairs), \(seconds) s closed loop; echo on port \(echoPort)")

        let voiceRSS0 = servicesPid.map(LobbyBench.rssKiB) ?? 0, echoRSS0 = LobbyBench.rssKiB(echo.pid)
        let e = await EchoRun(url: "ws://127.0.0.1:\(echoPort)/echo", count: peers, seconds: seconds).run { print("voicebench: echo: \(peers) sockets open") }
        let echoRSS = LobbyBench.rssKiB(echo.pid)
        let feeder = Task { while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)); feed() } }
        let v = await VoiceRun(url: voiceUrl, tokens: tokens, base: base, seconds: seconds).run { print("voicebench: voice: \(peers) peers welcomed") }
        feeder.cancel()
        let voiceRSS = servicesPid.map(LobbyBench.rssKiB) ?? 0

        print(String(format: "peers: voice %d/%d welcomed in %.2f s (%d linked with their pair), echo %d/%d open in %.2f s",
                     v.opened, peers, v.openSeconds, v.linked, e.opened, peers, e.openSeconds))
        if servicesPid != nil {
            let vp = Double(max(0, voiceRSS - voiceRSS0)) / Double(peers), ep = Double(max(0, echoRSS - echoRSS0)) / Double(peers)
            print(String(format: "memory per peer (RSS growth): voice %.1f KiB, echo %.1f KiB (ratio %.2f)", vp, ep, ep > 0 ? vp / ep : 0))
        }
        let echoRate = Double(e.messages) / seconds, relayRate = Double(v.relayed) / seconds
        print(String(format: "echo: %.0f messages/s (the baseline)", echoRate))
        print(String(format: "voice: %.0f signalling messages relayed/s (each authorized against the proximity links), %d refused",
                     relayRate, v.refused))
        print(String(format: "ratio: voice relayed/s / echo messages/s = %.3f", echoRate > 0 ? relayRate / echoRate : 0))
    }
}

/// The voice peers: connect all (each waits for its welcome and its pair's connect), then each
/// sends offers to its partner in a closed loop until the deadline.
struct VoiceRun {
    let url: String
    let tokens: [String]
    let base: Int64
    let seconds: Double

    struct Result { var opened = 0, linked = 0, relayed = 0, refused = 0; var openSeconds = 0.0 }

    func run(opened: @escaping @Sendable () -> Void) async -> Result {
        let c = NIOLockedValueBox(Result())
        let start = Date()
        let gate = BenchGate()
        let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" + String(repeating: "a=x\r\n", count: 40)
        let count = tokens.count
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                let partner = base + Int64(i ^ 1)
                let token = tokens[i]
                group.addTask {
                    let logger = Logger(label: "bench")
                    var config = WebSocketClientConfiguration(maxFrameSize: 1 << 16, additionalHeaders: [.authorization: "Bearer \(token)"])
                    config.autoPing = .disabled
                    _ = try? await WebSocketClient.connect(url: url, configuration: config, logger: logger) { inbound, outbound, _ in
                        var it = inbound.messages(maxSize: 1 << 16).makeAsyncIterator()
                        var welcomed = false, linked = false
                        // The welcome, then (once the report is in) the connect for the pair.
                        while !(welcomed && linked), let m = try await it.next() {
                            guard case .text(let t) = m, let v = try? VoiceMessage.decode(Array(t.utf8)) else { continue }
                            if v.type == "welcome" { welcomed = true; c.withLockedValue { $0.opened += 1 } }
                            if v.type == "connect" && v.peer == partner { linked = true; c.withLockedValue { $0.linked += 1 } }
                        }
                        let end = await gate.wait()
                        let offer = VoiceMessage.offer(to: partner, sdp: sdp).encoded()
                        while Date() < end {
                            try await outbound.writeTextMessage(offer)
                            // Wait for the partner's relayed offer (skipping audible updates).
                            var got = false
                            var over = false
                            while !got && !over, let m = try await it.next() {
                                guard case .text(let t) = m, let v = try? VoiceMessage.decode(Array(t.utf8)) else { continue }
                                if v.type == "offer" && v.from == partner { got = true; c.withLockedValue { $0.relayed += 1 } }
                                // The partner stopped first (its deadline): disconnected, or refused.
                                if v.type == "error" { c.withLockedValue { $0.refused += 1 }; over = true }
                                if v.type == "disconnect" { over = true }
                            }
                            if !got { break }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
            group.addTask {
                while c.withLockedValue({ $0.linked }) < count && Date().timeIntervalSince(start) < 60 { try? await Task.sleep(for: .milliseconds(10)) }
                c.withLockedValue { $0.openSeconds = Date().timeIntervalSince(start) }
                opened()
                await gate.open(seconds: seconds)
            }
        }
        return c.withLockedValue { $0 }
    }
}
