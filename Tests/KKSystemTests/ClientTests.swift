import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import Testing

/// A stack (redis + kk-shard + kk-relay processes) with one match allocated and a token file.
final class ClientStack {
    let s: StackProcesses
    let matchId: UInt64
    let token: ConnectToken
    let tokenPath: String

    init(_ name: String, match: UInt64, playersPerMatch: Int = 1, laps: Int = 1, relays: [String] = ["r1"]) throws {
        let s = try StackProcesses(name)
        self.s = s
        matchId = match
        try s.shard("s1", extra: ["--players-per-match", "\(playersPerMatch)", "--laps", "\(laps)"])
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
}

struct StackError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The client SDK, the kk-client executable and the C ABI against real processes.
@Suite(.serialized) struct ClientTests {
    /// Documented bound (docs/ARCHITECTURE-client.md): the predicted local kart equals the
    /// authoritative one for >= 90 % of frames, mean error <= 0.05 m, max <= 1.5 m.
    @Test func sdkBotCompletesALapWithPredictionWithinBound() throws {
        let stack = try ClientStack("sdk-lap", match: 951)
        defer { stack.stop() }
        let loop = try EventLoop()
        var driver: BotDriver?
        let track = try TrackCatalog.track(named: "oval")
        let client = try GameClient(loop: loop, token: stack.token) { state, slot in
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
        #expect(st.predictionChecks > 300)
        #expect(exactShare >= 0.9)
        #expect(st.predictionErrorMeanMetres <= 0.05)
        #expect(st.predictionErrorMaxMetres <= 1.5)
        #expect(st.snaps == 0)
        #expect(st.downLoss < 0.02 && st.upLoss < 0.01)
        #expect(st.framesDelta > 10 * st.framesFull)
    }

    @Test func headlessBotFinishesTheRaceAndExitsZero() throws {
        let stack = try ClientStack("headless", match: 952)
        defer { stack.stop() }
        let log = "\(stack.s.dir)/client.log"
        let p = try ChildProcess(path: SystemTest.product("kk-client"),
                                 arguments: ["--token-file", stack.tokenPath, "--headless", "--bot"], logPath: log)
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
    }

    /// Compiles Tests/CAPI/bot.c with /usr/bin/cc against libKartKlashClient.so and runs it.
    @Test func cProgramDrivesABotThroughTheCABI() throws {
        let productDir = URL(fileURLWithPath: SystemTest.product("kk-client")).deletingLastPathComponent().path
        let lib = "\(productDir)/libKartKlashClient.so"
        try #require(FileManager.default.fileExists(atPath: lib),
                     "\(lib) is missing: build it first with `swift build --product KartKlashClient` (swift test does not build dynamic library products)")
        let stack = try ClientStack("capi", match: 953, playersPerMatch: 2, laps: 3)
        defer { stack.stop() }
        let root = SystemTest.packageRoot.path
        let exe = "\(stack.s.dir)/capi-bot"
        let cc = try ChildProcess(path: "/usr/bin/cc", arguments: [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", "\(root)/Sources/CKartKlashClient/include", "\(root)/Tests/CAPI/bot.c",
            "-L", productDir, "-lKartKlashClient", "-Wl,-rpath,\(productDir)", "-o", exe,
        ], logPath: "\(stack.s.dir)/cc.log")
        #expect(cc.wait(seconds: 60) == 0, "cc failed:\n\(stack.s.log("cc"))")
        let bot = try ChildProcess(path: exe, arguments: [stack.tokenPath, "120", "20"], logPath: "\(stack.s.dir)/capi.log")
        let status = bot.wait(seconds: 40)
        if status == nil { bot.stop() }
        let out = stack.s.log("capi")
        #expect(status == 0, "C bot failed (\(String(describing: status))):\n\(out.suffix(3000))")
        #expect(out.contains("state playing: connected"))
        #expect(out.contains("bad token refused: "))
        #expect(out.contains("OK playing and received frames"))
        #expect(out.contains("after quit: ended (reason 1)"))
        for l in out.split(separator: "\n") where l.hasPrefix("frames ") { print("FIGURE capi \(l)") }
    }
}
