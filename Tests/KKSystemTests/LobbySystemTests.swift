import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKLobbyCore
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import Testing

/// A stack with the lobby: redis, one kk-shard (8 per match), relays and kk-services (auth +
/// lobby) as processes; players are real accounts with their own lobby sockets.
final class LobbyStack {
    let s: StackProcesses
    let httpPort = Int(SystemTest.freePort())
    let secret = "relay-control-secret-\(UInt32.random(in: 0...UInt32.max))"
    let jwtKey = String(repeating: "6b", count: 32)
    var services: ChildProcess?

    init(_ name: String, relays: [String] = ["r1"], relayExtra: [String] = [], servicesExtra: [String] = []) throws {
        s = try StackProcesses(name)
        try s.shard("s1", extra: ["--players-per-match", "8", "--laps", "1", "--track", "sprint"])
        try startServices(extra: servicesExtra)
        for r in relays { try s.relay(r, extra: ["--lobby-url", "ws://127.0.0.1:\(httpPort)/v1/lobby/relay-control",
                                                  "--lobby-secret", secret, "--relay-id", r] + relayExtra) }
        guard s.ready("s1") else { throw StackError("kk-shard not ready:\n\(s.log("s1").suffix(1500))") }
        for r in relays where !s.ready(r) { throw StackError("\(r) not ready:\n\(s.log(r).suffix(1500))") }
        guard servicesReady() else { throw StackError("kk-services not ready:\n\(s.log("services").suffix(2000))") }
    }

    func startServices(extra: [String] = [], name: String = "services", port: Int? = nil) throws {
        let p = try ChildProcess(path: SystemTest.product("kk-services"), arguments: [
            "--http-port", "\(port ?? httpPort)", "--services", "auth,lobby", "--log-level", "warning",
            "--redis-port", "\(s.redisPort)", "--redis-prefix", s.prefix, "--token-key", s.key.hex,
            "--countdown-seconds", "1", "--seat-hold-seconds", "3", "--relay-secret", secret, "--tracks", "sprint,oval",
        ] + extra, environment: ["KK_POSTGRES_URL": try PostgresTestServer.url(), "KK_JWT_KEY": jwtKey], logPath: "\(s.dir)/\(name).log")
        s.children[name] = p
        if port == nil { services = p }
    }

    func servicesReady(port: Int? = nil) -> Bool {
        SystemTest.eventually(seconds: 30) { SystemTest.http(port: port ?? httpPort, path: "/readyz")?.status == 200 }
    }

    var lobbyURL: String { "ws://127.0.0.1:\(httpPort)/v1/lobby" }

    /// `n` fresh accounts (device logins).
    func accounts(_ n: Int) throws -> [AuthSession] {
        let auth = AuthClient(baseURL: "http://127.0.0.1:\(httpPort)")
        let tag = UInt64.random(in: 0...UInt64.max)
        return try (0..<n).map { i in try auth.loginDevice(deviceId: "lobby-\(tag)-\(i)") }
    }

    /// A connected lobby socket (after its `hello`).
    func client(_ session: AuthSession, url: String? = nil) throws -> LobbyClient {
        let c = LobbyClient(url: url ?? lobbyURL, accessToken: session.accessToken)
        c.connect()
        guard c.waitFor(timeoutMillis: 10_000, { $0.type == "hello" }) != nil else { throw StackError("no hello for \(session.accountId)") }
        return c
    }

    func stop() { s.stopAll() }
}

@Suite(.serialized) struct LobbySystemTests {
    /// Eight players gather in a private room by its code, vote, ready up; the lobby places the
    /// whole room in one match on the shard and pushes each their token; all eight race on the
    /// real relay and shard.
    @Test func eightPlayersFillARoomByCodeVoteReadyAndRace() throws {
        let stack = try LobbyStack("lobby-race")
        defer { stack.stop() }
        let sessions = try stack.accounts(8)
        let clients = try sessions.map { try stack.client($0) }
        defer { clients.forEach { $0.close() } }
        clients[0].send(LobbyCommand(op: .create, ref: "c1"))
        let created = try #require(clients[0].waitFor(timeoutMillis: 10_000) { $0.type == "room" })
        let code = try #require(created.room?.code)
        #expect(created.room?.host == sessions[0].accountId && code.count == 6)
        for c in clients.dropFirst() { c.send(LobbyCommand(op: .join, ref: "j", code: code.lowercased())) }
        #expect(clients[0].waitFor(timeoutMillis: 15_000) { $0.room?.members.count == 8 } != nil, "the room never filled")
        // A ninth player finds it full; a wrong code is refused.
        let extra = try stack.accounts(1)[0]
        let ninth = try stack.client(extra)
        defer { ninth.close() }
        ninth.send(LobbyCommand(op: .join, ref: "j9", code: code))
        #expect(ninth.waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "room_full")
        ninth.send(LobbyCommand(op: .join, ref: "j10", code: "ZZZZZZ"))
        #expect(ninth.waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "unknown_code")
        ninth.send(LobbyCommand(op: .vote, ref: "v9", track: "sprint"))
        #expect(ninth.waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "not_in_room")
        // Votes (an unknown track is refused), then everyone ready.
        clients[1].send(LobbyCommand(op: .vote, ref: "bad", track: "moon"))
        #expect(clients[1].waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "unknown_track")
        // All at once: the room's compare-and-set takes every one of them.
        for (i, c) in clients.enumerated() { c.send(LobbyCommand(op: .vote, ref: "v\(i)", track: i < 5 ? "sprint" : "oval")) }
        for (i, c) in clients.enumerated() { c.send(LobbyCommand(op: .ready, ref: "r\(i)", ready: true)) }
        for (i, c) in clients.enumerated() {
            let reply = c.waitFor(timeoutMillis: 10_000) { $0.ref == "r\(i)" }
            #expect(reply?.type == "ok", "ready of player \(i): \(String(describing: reply))")
        }
        var assignments: [MatchAssignment] = []
        for (i, c) in clients.enumerated() {
            let m = c.waitFor(timeoutMillis: 20_000) { $0.type == "match" }
            guard let a = m?.match else { Issue.record("player \(i) got no match:\n\(stack.s.log("services").suffix(2000))"); return }
            assignments.append(a)
        }
        #expect(Set(assignments.map(\.matchId)).count == 1 && assignments.allSatisfy { $0.track == "sprint" && $0.players.count == 8 })
        // Race: all eight connect with their tokens and play.
        let loop = try EventLoop()
        var config = ClientConfig()
        config.track = "sprint"
        let games = try assignments.map { try GameClient(loop: loop, token: $0.token, config: config) { _, _ in .neutral } }
        defer { games.forEach { $0.stop() } }
        #expect(drive(loop, timeoutMillis: 30_000) { games.allSatisfy { $0.session.state == .playing && $0.session.stats.framesReceived > 30 } },
                "\(games.map { "\($0.session.state)" })")
        let slots = Set(games.compactMap { $0.session.slot })
        #expect(slots.count == 8, "eight different karts: \(slots)")
    }
}
