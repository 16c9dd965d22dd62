import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKAccessToken
import KKLobbyCore
import KKLocalStack
import KKLoop
import KKPhysics
import KKShard
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

    /// The services kk-services runs (results and economy for the tests that race to the end).
    let serviceNames: String
    let operatorSecret = "operator-secret-\(UInt32.random(in: 0...UInt32.max))"

    init(_ name: String, relays: [String] = ["r1"], relayExtra: [String] = [], servicesExtra: [String] = [],
         services: String = "auth,social,lobby", servicesEnvironment: [String: String] = [:], before: ((StackProcesses) throws -> [String])? = nil) throws {
        s = try StackProcesses(name)
        serviceNames = services
        try s.shard("s1", extra: ["--players-per-match", "8", "--laps", "1", "--track", "sprint"])
        let more = try before?(s) ?? []
        try startServices(extra: servicesExtra + more, environment: servicesEnvironment)
        for r in relays { try s.relay(r, extra: ["--lobby-url", "ws://127.0.0.1:\(httpPort)/v1/lobby/relay-control",
                                                  "--lobby-secret", secret, "--relay-id", r] + relayExtra) }
        guard s.ready("s1") else { throw StackError("kk-shard not ready:\n\(s.log("s1").suffix(1500))") }
        for r in relays where !s.ready(r) { throw StackError("\(r) not ready:\n\(s.log(r).suffix(1500))") }
        guard servicesReady() else { throw StackError("kk-services not ready:\n\(s.log("services").suffix(2000))") }
    }

    func startServices(extra: [String] = [], name: String = "services", port: Int? = nil, environment: [String: String] = [:]) throws {
        let p = try ChildProcess(path: SystemTest.product("kk-services"), arguments: [
            "--http-port", "\(port ?? httpPort)", "--services", serviceNames, "--log-level", "warning", "--operator-secret", operatorSecret,
            "--redis-port", "\(s.redisPort)", "--redis-prefix", s.prefix, "--token-key", s.key.hex,
            "--countdown-seconds", "1", "--seat-hold-seconds", "3", "--relay-secret", secret, "--tracks", "sprint,oval",
        ] + extra, environment: ["KK_POSTGRES_URL": try PostgresTestServer.url(), "KK_JWT_KEY": jwtKey].merging(environment) { $1 },
           logPath: "\(s.dir)/\(name).log")
        s.children[name] = p
        if port == nil { services = p }
    }

    func servicesReady(port: Int? = nil) -> Bool {
        SystemTest.eventually(seconds: 30) { SystemTest.http(port: port ?? httpPort, path: "/readyz")?.status == 200 }
    }

    var lobbyURL: String { "ws://127.0.0.1:\(httpPort)/v1/lobby" }

    /// A headless kk-client (a bot) of its own account (its config directory), on this stack's
    /// auth service and lobby, logging to `<name>.log`.
    func kkClient(_ name: String, _ args: [String]) throws -> ChildProcess {
        let p = try ChildProcess(path: SystemTest.product("kk-client"), arguments: [
            "--auth-url", "http://127.0.0.1:\(httpPort)", "--lobby-url", lobbyURL, "--headless", "--bot",
        ] + args, environment: ["XDG_CONFIG_HOME": "\(s.dir)/\(name)-config"], logPath: "\(s.dir)/\(name).log")
        s.children[name] = p
        return p
    }

    /// The room code a headless kk-client printed in its log (waits up to 20 s).
    func roomCode(printedBy name: String) -> String? {
        var code: String?
        _ = SystemTest.eventually(seconds: 20) {
            code = s.log(name).split(separator: "\n").compactMap { line -> String? in
                guard let r = line.range(of: "room code ") else { return nil }
                return String(line[r.upperBound...].prefix(6))
            }.first
            return code != nil
        }
        return code
    }

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
        let stack = try LobbyStack("lobby-race", servicesExtra: ["--voice-turn-url", "turn:127.0.0.1:3478?transport=udp",
                                                                 "--voice-turn-secret", "turn-secret-of-the-lobby-race"],
                                   services: "auth,social,lobby,voice")
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
        // The shard's default track is sprint; the room votes oval (5 of 8): the race runs on oval.
        for (i, c) in clients.enumerated() { c.send(LobbyCommand(op: .vote, ref: "v\(i)", track: i < 5 ? "oval" : "sprint")) }
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
        #expect(Set(assignments.map(\.matchId)).count == 1 && assignments.allSatisfy { $0.track == "oval" && $0.players.count == 8 })
        // Pinned to the exact version of the track (the built-in bytes = Config/tracks/oval.track).
        let ovalSha = TrackFiles.sha256(Array(try TrackCatalog.source(named: "oval").utf8))
        #expect(assignments.allSatisfy { $0.trackSha256 == ovalSha }, "\(assignments.map(\.trackSha256))")
        let hosted = RedisSync(port: stack.s.redisPort)?.run("HGET", stack.s.prefix + "shard:s1", "tracks") ?? ""
        #expect(hosted.split(separator: " ").contains(Substring(ovalSha)), "the shard lists its track versions: \(hosted)")
        // Race: all eight connect with their tokens and play.
        let loop = try EventLoop()
        var config = ClientConfig()
        config.track = "oval"
        let games = try assignments.map { try GameClient(loop: loop, token: $0.token, config: config) { _, _ in .neutral } }
        defer { games.forEach { $0.stop() } }
        #expect(drive(loop, timeoutMillis: 30_000) { games.allSatisfy { $0.session.state == .playing && $0.session.stats.framesReceived > 30 } },
                "\(games.map { "\($0.session.state)" })")
        let slots = Set(games.compactMap { $0.session.slot })
        #expect(slots.count == 8, "eight different karts: \(slots)")
        let shardStatus = SystemTest.http(port: stack.s.adminPorts["s1"]!, path: "/status")?.body ?? ""
        #expect(shardStatus.contains("\"id\":\(assignments[0].matchId)") && shardStatus.contains("\"track\":\"oval\""),
                "the shard hosts the voted track: \(shardStatus)")
        // Proximity voice from the real shard's position reports: two racers side by side on the
        // grid are told to connect, and each hears the other.
        let voices = sessions.prefix(2).map { VoiceClient(url: "ws://127.0.0.1:\(stack.httpPort)/v1/voice", accessToken: $0.accessToken) }
        defer { voices.forEach { $0.close() } }
        voices.forEach { $0.connect() }
        let (p0, p1) = (sessions[0].accountId, sessions[1].accountId)
        var linked = [false, false], heard = [false, false]
        _ = drive(loop, timeoutMillis: 15_000) {
            for (i, v) in voices.enumerated() {
                let other = i == 0 ? p1 : p0
                v.poll { e in
                    if case .connect(let peer, _) = e, peer == other { linked[i] = true }
                    if case .audible(let speakers) = e, speakers.contains(where: { $0.player == other && $0.gain > 0 }) { heard[i] = true }
                }
            }
            return linked == [true, true] && heard == [true, true]
        }
        #expect(linked == [true, true] && heard == [true, true], "linked \(linked) heard \(heard)\n\(stack.s.log("services").suffix(1500))")
    }
}

extension LobbySystemTests {
    /// A player in a match on the relay, with a hand-made allocation (no lobby involved).
    func playing(_ stack: LobbyStack, loop: EventLoop, match: UInt64, player: UInt64) throws -> GameClient {
        try stack.s.allocate(match: match, on: "s1")
        let token = try TokenIssuer(key: stack.s.key).issue(playerId: player, matchId: match, now: UInt64(time(nil)), validSeconds: 300,
                                                            relays: ["127.0.0.1:\(stack.s.udpPorts["r1"]!)"])
        var config = ClientConfig()
        config.track = "sprint"
        return try GameClient(loop: loop, token: token, config: config) { _, _ in .neutral }
    }

    func operatorPost(_ stack: LobbyStack, _ path: String, _ body: String = "{}", secret: String? = nil) -> Int? {
        LocalProbe.http("POST", port: stack.httpPort, path: path, body: body,
                        headers: ["Authorization": "Bearer \(secret ?? stack.secret)", "Content-Type": "application/json"])?.status
    }

    /// The relay keeps a control socket to the lobby: it registers and reports load; a wrong
    /// credential is refused; kick ends a player's session with the reason the client shows; a
    /// ban also refuses their next handshake; rate limits and match-assigned notices are carried
    /// out; drain makes the relay unready; with the lobby down the relay serves on and says so.
    @Test func relayControlPlaneKicksBansDrainsAndSurvivesTheLobbyGoingDown() throws {
        let stack = try LobbyStack("lobby-control")
        defer { stack.stop() }
        let relayStatus = { SystemTest.http(port: stack.s.adminPorts["r1"]!, path: "/status")?.body ?? "" }
        #expect(SystemTest.eventually(seconds: 15) { relayStatus().contains("\"controlPlane\":\"connected\"") }, "\(relayStatus())")
        #expect(SystemTest.eventually(seconds: 10) {
            LocalProbe.http("GET", port: stack.httpPort, path: "/v1/lobby/relays", headers: ["Authorization": "Bearer \(stack.secret)"])?
                .body.contains("\"relayId\":\"r1\"") == true
        })
        // Wrong credentials: the operator routes and the relay socket refuse them.
        #expect(operatorPost(stack, "/v1/lobby/relays/*/drain", secret: "not-the-secret-at-all") == 401)
        #expect(LocalProbe.http("GET", port: stack.httpPort, path: "/v1/lobby/relay-control")?.status == 401)
        #expect(operatorPost(stack, "/v1/lobby/players/0/kick") == 400)
        // A relay with a wrong credential is refused; it serves on and says why on /status.
        try stack.s.relay("r2", extra: ["--lobby-url", "ws://127.0.0.1:\(stack.httpPort)/v1/lobby/relay-control",
                                         "--lobby-secret", "a-wrong-secret-of-some-length", "--relay-id", "r2"])
        #expect(stack.s.ready("r2"))
        let r2Status = { SystemTest.http(port: stack.s.adminPorts["r2"]!, path: "/status")?.body ?? "" }
        #expect(SystemTest.eventually(seconds: 10) { r2Status().contains("\"controlPlane\":\"down\"") && r2Status().contains("controlPlaneError") },
                "\(r2Status())")
        #expect(!(LocalProbe.http("GET", port: stack.httpPort, path: "/v1/lobby/relays", headers: ["Authorization": "Bearer \(stack.secret)"])?
                    .body.contains("\"relayId\":\"r2\"") ?? true))
        #expect(operatorPost(stack, "/v1/lobby/players/5/ban", #"{"seconds": 0}"#) == 400)

        let loop = try EventLoop()
        let kicked = try playing(stack, loop: loop, match: 9101, player: 501)
        let other = try playing(stack, loop: loop, match: 9102, player: 502)
        defer { kicked.stop(); other.stop() }
        #expect(drive(loop, timeoutMillis: 20_000) { kicked.session.state == .playing && other.session.state == .playing })
        #expect(operatorPost(stack, "/v1/lobby/players/501/kick", #"{"reason": "griefing"}"#) == 202)
        #expect(drive(loop, timeoutMillis: 10_000) { kicked.session.state.isEnded })
        #expect(kicked.session.state == .ended(.server(.kicked)), "\(kicked.session.state)")
        #expect(kicked.session.state.message.contains("removed"), "the reason the client shows")
        // Banned: the session ends, and the player's next handshake is refused.
        #expect(operatorPost(stack, "/v1/lobby/players/502/ban", #"{"seconds": 600, "reason": "cheating"}"#) == 202)
        #expect(drive(loop, timeoutMillis: 10_000) { other.session.state.isEnded })
        #expect(other.session.state == .ended(.server(.banned)), "\(other.session.state)")
        let again = try playing(stack, loop: loop, match: 9102, player: 502)
        defer { again.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { again.session.state.isEnded })
        #expect(again.session.state == .ended(.server(.banned)), "\(again.session.state)")
        #expect(SystemTest.eventually(seconds: 5) { stack.s.metric("r1", "kk_relay_banned_refusals_total") == 1 })
        // Rate limits and a match-assigned notice are carried out (counted by the relay).
        #expect(operatorPost(stack, "/v1/lobby/relays/r1/rate-limits", #"{"packetsPerSecond": 300}"#) == 202)
        #expect(operatorPost(stack, "/v1/lobby/relays/r1/rate-limits", #"{"packetsPerSecond": -1}"#) == 400)
        #expect(SystemTest.eventually(seconds: 10) { stack.s.log("r1").contains("rate limits now 300.0") })
        // Lobby down: the relay keeps serving and says so; back up: it reconnects by itself.
        let survivor = try playing(stack, loop: loop, match: 9103, player: 503)
        defer { survivor.stop() }
        #expect(drive(loop, timeoutMillis: 20_000) { survivor.session.state == .playing })
        stack.services?.stop(grace: 3)
        #expect(SystemTest.eventually(seconds: 10) { relayStatus().contains("\"controlPlane\":\"down\"") })
        let ready = SystemTest.http(port: stack.s.adminPorts["r1"]!, path: "/readyz")
        #expect(ready?.status == 200 && ready?.body.contains("control plane: down") == true, "\(String(describing: ready))")
        let framesBefore = survivor.session.stats.framesReceived
        #expect(drive(loop, timeoutMillis: 5_000) { survivor.session.stats.framesReceived > framesBefore + 30 }, "frames flow without the lobby")
        try stack.startServices()
        #expect(stack.servicesReady())
        #expect(SystemTest.eventually(seconds: 15) { relayStatus().contains("\"controlPlane\":\"connected\"") })
        // Drain through the control plane: the relay stops taking players (unready).
        #expect(operatorPost(stack, "/v1/lobby/relays/r1/drain") == 202)
        #expect(SystemTest.eventually(seconds: 10) { SystemTest.http(port: stack.s.adminPorts["r1"]!, path: "/readyz")?.body.contains("draining") == true })
    }

    /// Held seats, and bad input of every kind on a player socket: nothing crashes and other
    /// rooms carry on.
    @Test func heldSeatsAndBadInputOnPlayerSockets() throws {
        let stack = try LobbyStack("lobby-bad")
        defer { stack.stop() }
        let sessions = try stack.accounts(5)
        let a = try stack.client(sessions[0])
        defer { a.close() }
        a.send(LobbyCommand(op: .create))
        let code = try #require(a.waitFor(timeoutMillis: 10_000) { $0.type == "room" }?.room?.code)
        let b = try stack.client(sessions[1])
        b.send(LobbyCommand(op: .join, code: code))
        let c = try stack.client(sessions[2])
        c.send(LobbyCommand(op: .join, code: code))
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.room?.members.count == 3 } != nil)
        // Join while in a room; create while in a room.
        b.send(LobbyCommand(op: .create, ref: "x"))
        #expect(b.waitFor(timeoutMillis: 10_000) { $0.ref == "x" }?.code == "already_in_room")
        // b drops and comes back within the hold: same seat.
        b.close()
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.events?.contains { $0.kind == "away" && $0.account == sessions[1].accountId } == true } != nil)
        let b2 = try stack.client(sessions[1])
        defer { b2.close() }
        let back = a.waitFor(timeoutMillis: 10_000) { $0.events?.contains { $0.kind == "back" } == true }
        #expect(back?.room?.members.map(\.account) == sessions[0...2].map(\.accountId), "same seats, same order")
        // c drops for good: after the 3 s hold c has left.
        c.close()
        let gone = a.waitFor(timeoutMillis: 15_000) { $0.events?.contains { $0.kind == "left" && $0.account == sessions[2].accountId } == true }
        #expect(gone?.room?.members.count == 2)
        // Chat limits.
        a.send(LobbyCommand(op: .chat, ref: "long", text: String(repeating: "x", count: 201)))
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.ref == "long" }?.code == "chat_too_long")
        for i in 0..<5 { a.send(LobbyCommand(op: .chat, ref: "c\(i)", text: "hi \(i)")) }
        // Three more at once: a refill (one every 2 s, timed from the room's creation) may land
        // among them and let one through, never three.
        for i in 5..<8 { a.send(LobbyCommand(op: .chat, ref: "c\(i)", text: "one too many")) }
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.code == "chat_rate_limited" }?.ref.map { ["c5", "c6", "c7"].contains($0) } == true)
        #expect(b2.waitFor(timeoutMillis: 10_000) { $0.events?.contains { $0.kind == "chat" && $0.text == "hi 4" } == true } != nil)
        // Malformed commands get an error each.
        b2.sendRaw("{not json")
        #expect(b2.waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "bad_command")
        b2.sendRaw(#"{"op": "teleport"}"#)
        #expect(b2.waitFor(timeoutMillis: 10_000) { $0.type == "error" }?.code == "bad_command")
        // A flood closes the socket (4008); an oversize message closes it (1009); a bad token
        // is refused at the upgrade.
        let flooder = LobbyClient(url: stack.lobbyURL, accessToken: sessions[3].accessToken, autoReconnect: false)
        flooder.connect()
        #expect(flooder.waitFor(timeoutMillis: 10_000) { $0.type == "hello" } != nil)
        for _ in 0..<150 { flooder.send(LobbyCommand(op: .state)) }
        let flood = waitClosed(flooder)
        #expect(flood?.code == 4008, "\(String(describing: flood))")
        let big = LobbyClient(url: stack.lobbyURL, accessToken: sessions[4].accessToken, autoReconnect: false)
        big.connect()
        #expect(big.waitFor(timeoutMillis: 10_000) { $0.type == "hello" } != nil)
        big.sendRaw(#"{"op":"chat","text":""# + String(repeating: "y", count: 10_000) + #""}"#)
        let tooBig = waitClosed(big)
        #expect(tooBig?.code == 1009, "\(String(describing: tooBig))")
        let forged = LobbyClient(url: stack.lobbyURL, accessToken: "not.a.token", autoReconnect: false)
        forged.connect()
        #expect(waitClosed(forged) != nil)
        // The room carries on.
        a.send(LobbyCommand(op: .vote, ref: "after", track: "oval"))
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.ref == "after" }?.type == "ok")
        #expect(SystemTest.http(port: stack.httpPort, path: "/healthz")?.status == 200)
    }

    func waitClosed(_ c: LobbyClient) -> (code: Int, reason: String)? {
        let deadline = Date().addingTimeInterval(10)
        var seen: [String] = []
        while Date() < deadline {
            switch c.next(timeoutMillis: 200) {
            case .closed(let code, let reason)?: return (code, reason)
            case .some(let e): if seen.count < 5 { seen.append("\(e)") }
            case nil: break
            }
        }
        print("no close; saw \(seen)")
        return nil
    }

    /// Quick play: a party ticket and solo tickets form one match (the party whole); a region
    /// nobody serves is refused; a cancelled ticket is not matched.
    @Test func partyAndSoloTicketsFormAMatch() throws {
        let stack = try LobbyStack("lobby-queue")
        defer { stack.stop() }
        let sessions = try stack.accounts(9)
        let clients = try sessions.map { try stack.client($0) }
        defer { clients.forEach { $0.close() } }
        let seed = try TokenKey(hex: stack.jwtKey).bytes
        let signer = try awaitSync { try await AccessTokenSigner(seed: seed) }
        let party = sessions[0...2].map(\.accountId)
        let ticket = try awaitSync { try await signer.sign(PartyTicketClaims(leader: party[0], party: 77, members: party, issuedAt: Date())) }
        // A region nobody serves; then a cancelled ticket.
        clients[8].send(LobbyCommand(op: .queue, ref: "eu", pings: ["eu-west": 12]))
        #expect(clients[8].waitFor(timeoutMillis: 10_000) { $0.ref == "eu" }?.code == "no_region")
        clients[8].send(LobbyCommand(op: .queue, ref: "q8", pings: ["local": 30]))
        #expect(clients[8].waitFor(timeoutMillis: 10_000) { $0.type == "queue" }?.queue?.state == "waiting")
        clients[8].send(LobbyCommand(op: .cancelQueue, ref: "c8"))
        #expect(clients[8].waitFor(timeoutMillis: 10_000) { $0.type == "queue" }?.queue?.state == "cancelled")
        // The party (3) and five solos fill a match of 8.
        clients[0].send(LobbyCommand(op: .queue, ref: "p", party: ticket, pings: ["local": 20]))
        #expect(clients[1].waitFor(timeoutMillis: 10_000) { $0.type == "queue" }?.queue?.players == party, "members see the party ticket")
        clients[1].send(LobbyCommand(op: .queue, ref: "dup", pings: ["local": 20]))
        #expect(clients[1].waitFor(timeoutMillis: 10_000) { $0.ref == "dup" }?.code == "already_queued")
        // The same party ticket twice: refused.
        clients[0].send(LobbyCommand(op: .quickJoin, ref: "again", party: ticket))
        #expect(clients[0].waitFor(timeoutMillis: 10_000) { $0.ref == "again" }?.code == "ticket_used")
        for i in 3..<8 { clients[i].send(LobbyCommand(op: .queue, pings: ["local": 20 + i])) }
        var matches: [UInt64] = []
        for i in 0..<8 {
            guard let m = clients[i].waitFor(timeoutMillis: 15_000, { $0.type == "match" })?.match else {
                Issue.record("player \(i) got no match:\n\(stack.s.log("services").suffix(1500))"); return
            }
            matches.append(m.matchId)
        }
        #expect(Set(matches).count == 1)
        #expect(clients[8].next(timeoutMillis: 500).map { if case .message(let m) = $0 { m.type != "match" } else { true } } ?? true,
                "the cancelled ticket was not matched")
        #expect(SystemTest.eventually(seconds: 5) { stack.s.metric("r1", "kk_relay_route_prefetches_total").map { $0 >= 1 } == true },
                "the relay was told of the match")
    }

    /// Two lobby instances on one Redis: the one serving a room is killed mid-countdown; the
    /// clients reconnect to the other, which ends the countdown and starts the race.
    @Test func aLobbyInstanceKilledMidCountdownDoesNotStopTheRace() throws {
        let stack = try LobbyStack("lobby-kill", servicesExtra: ["--countdown-seconds", "3"])
        defer { stack.stop() }
        let second = Int(SystemTest.freePort())
        try stack.startServices(extra: ["--countdown-seconds", "3"], name: "services2", port: second)
        #expect(stack.servicesReady(port: second))
        let urls = [stack.lobbyURL, "ws://127.0.0.1:\(second)/v1/lobby"]
        let sessions = try stack.accounts(2)
        let clients = try sessions.map { s -> LobbyClient in
            let c = LobbyClient(urls: urls, accessToken: s.accessToken)
            c.connect()
            guard c.waitFor(timeoutMillis: 10_000, { $0.type == "hello" }) != nil else { throw StackError("no hello") }
            return c
        }
        defer { clients.forEach { $0.close() } }
        clients[0].send(LobbyCommand(op: .create))
        let code = try #require(clients[0].waitFor(timeoutMillis: 10_000) { $0.type == "room" }?.room?.code)
        clients[1].send(LobbyCommand(op: .join, code: code))
        #expect(clients[0].waitFor(timeoutMillis: 10_000) { $0.room?.members.count == 2 } != nil)
        for c in clients { c.send(LobbyCommand(op: .ready, ready: true)) }
        #expect(clients[0].waitFor(timeoutMillis: 10_000) { $0.room?.phase == "countdown" } != nil)
        stack.services?.signal(SIGKILL)
        _ = stack.services?.wait(seconds: 5)
        for (i, c) in clients.enumerated() {
            let m = c.waitFor(timeoutMillis: 20_000) { $0.type == "match" }
            #expect(m?.match != nil, "player \(i) got no race after the instance died:\n\(stack.s.log("services2").suffix(1500))")
        }
        // The reconnected sockets still take commands (the SDK's queue survives a reconnect).
        clients[0].send(LobbyCommand(op: .state, ref: "after"))
        #expect(clients[0].waitFor(timeoutMillis: 10_000) { $0.ref == "after" }?.type == "ok")
    }
}

extension LobbySystemTests {
    /// Compiles Tests/CAPI/lobby.c against libKartKlashClient.so and runs it: two accounts meet
    /// in a room through the C ABI's lobby calls and race with the ticket of the match event.
    @Test func cProgramMeetsInARoomAndRacesThroughTheCABI() throws {
        let stack = try LobbyStack("lobby-capi")
        defer { stack.stop() }
        let exe = "\(stack.s.dir)/capi-lobby"
        let failure = try SystemTest.compileCProgram("lobby.c", to: exe, logDir: stack.s.dir)
        try #require(failure == nil, "\(failure ?? "")")
        let run = try ChildProcess(path: exe, arguments: ["http://127.0.0.1:\(stack.httpPort)", stack.lobbyURL, "\(stack.s.dir)/prefs"],
                                   logPath: "\(stack.s.dir)/capi.log")
        let status = run.wait(seconds: 90)
        if status == nil { run.stop() }
        let out = stack.s.log("capi")
        #expect(status == 0 && out.contains("ALL OK"), "\(out)\n\(stack.s.log("services").suffix(1500))")
    }
}

extension LobbySystemTests {
    /// kk-client's lobby, headless: one creates a room and readies, the other joins by the code
    /// it printed and readies; both race (bots) and exit 0. A third, queued for quick play
    /// with the pings it measured, is told its ticket waits.
    @Test func kkClientCreatesAndJoinsARoomThenRaces() throws {
        let stack = try LobbyStack("lobby-kk-client", services: "auth,social,lobby,results,economy")
        defer { stack.stop() }
        func client(_ name: String, _ args: [String]) throws -> ChildProcess { try stack.kkClient(name, args) }
        let host = try client("host", ["--lobby-create", "--lobby-ready", "--lobby-vote", "sprint"])
        let code = stack.roomCode(printedBy: "host")
        #expect(code != nil, "\(stack.s.log("host"))")
        let guest = try client("guest", ["--lobby-join", code ?? "", "--lobby-ready"])
        let queued = try client("queued", ["--lobby-queue", "--seconds", "30"])
        // Both race to the finish, then show the results screen: the recorded (verified) race,
        // the track's board and the reward.
        for (name, p) in [("host", host), ("guest", guest)] {
            let status = p.wait(seconds: 90)
            let out = stack.s.log(name)
            #expect(status.map { ($0 >> 8) & 0xff } == 0, "\(name): \(out)")
            #expect(out.contains("race found") && out.contains("race finished"), "\(name): \(out)")
            #expect(out.contains("result: verified") && out.contains("sprint leaderboard") && out.contains("<- you")
                    && out.contains("reward: +"), "\(name): \(out)")
        }
        #expect(SystemTest.eventually(seconds: 10) { stack.s.log("queued").contains("quick play waiting") }, "\(stack.s.log("queued"))")
        queued.stop()
    }
}

extension LobbySystemTests {
    /// In a room a player picks a kart and skin from their inventory (the economy service in the
    /// same process): a starter at once, a kart they do not own refused, the same kart once bought.
    @Test func membersEquipWhatTheirInventoryHolds() throws {
        let stack = try LobbyStack("lobby-equip", services: "auth,social,lobby,economy")
        defer { stack.stop() }
        let me = try #require(try stack.accounts(1).first)
        let c = try stack.client(me)
        defer { c.close() }
        c.send(LobbyCommand(op: .create, ref: "c"))
        #expect(c.waitFor(timeoutMillis: 10_000) { $0.type == "room" } != nil)
        c.send(LobbyCommand(op: .equip, ref: "e1", item: "skin.red"))
        let equipped = c.waitFor(timeoutMillis: 10_000) { $0.type == "room" && $0.room?.members.first?.skin == "skin.red" }
        #expect(equipped != nil, "a starter skin")
        c.send(LobbyCommand(op: .equip, ref: "e2", item: "kart.drifter"))
        let refused = c.waitFor(timeoutMillis: 10_000) { $0.type == "error" && $0.ref == "e2" }
        #expect(refused?.code == "not_owned", "\(String(describing: refused))")
        let grant = LocalProbe.http("POST", port: stack.httpPort, path: "/v1/economy/grants",
                                    body: #"{"accountId": \#(me.accountId), "amount": 500, "idempotencyKey": "g"}"#,
                                    headers: ["Authorization": "Bearer \(stack.operatorSecret)"])
        #expect(grant?.status == 201, "\(grant?.body ?? "no answer")")
        _ = try StoreClient(baseURL: "http://127.0.0.1:\(stack.httpPort)").purchase(me, item: "kart.drifter", expectedPrice: 500)
        c.send(LobbyCommand(op: .equip, ref: "e3", item: "kart.drifter"))
        let bought = c.waitFor(timeoutMillis: 10_000) { $0.type == "room" && $0.room?.members.first?.kart == "kart.drifter" }
        #expect(bought != nil, "the bought kart")
        c.send(LobbyCommand(op: .equip, ref: "e4"))
        #expect(c.waitFor(timeoutMillis: 10_000) { $0.type == "error" && $0.ref == "e4" }?.code == "bad_command")
    }

    /// Friends see each other's presence on their lobby sockets: opening the lobby shows a
    /// player as "lobby", a heartbeat "online" is pushed too; strangers get nothing.
    @Test func friendsPresenceArrivesOnTheLobbySocket() throws {
        let stack = try LobbyStack("lobby-presence")
        defer { stack.stop() }
        let s = try stack.accounts(3)
        func post(_ path: String, _ body: String, as who: AuthSession) -> Int? {
            LocalProbe.http("POST", port: stack.httpPort, path: path, body: body, headers: ["Authorization": "Bearer \(who.accessToken)"])?.status
        }
        for (i, who) in s.enumerated() {
            #expect(LocalProbe.http("PUT", port: stack.httpPort, path: "/v1/social/profile", body: #"{"displayName": "racer \#(who.accountId % 100_000) \#(i)"}"#,
                                    headers: ["Authorization": "Bearer \(who.accessToken)"])?.status == 200)
        }
        #expect(post("/v1/social/friends/requests", #"{"accountId": \#(s[1].accountId)}"#, as: s[0]) == 201)
        #expect(post("/v1/social/friends/requests", #"{"accountId": \#(s[0].accountId)}"#, as: s[1]) == 200)
        let a = try stack.client(s[0])
        let stranger = try stack.client(s[2])
        defer { a.close(); stranger.close() }
        let b = try stack.client(s[1])
        defer { b.close() }
        let seen = a.waitFor(timeoutMillis: 10_000) { $0.type == "presence" && $0.account == s[1].accountId }
        #expect(seen?.text == "lobby", "\(String(describing: seen))")
        #expect(post("/v1/social/presence", #"{"state": "online"}"#, as: s[1]) == 204)
        #expect(a.waitFor(timeoutMillis: 10_000) { $0.type == "presence" && $0.account == s[1].accountId }?.text == "online")
        #expect(stranger.waitFor(timeoutMillis: 500) { $0.type == "presence" } == nil, "not a friend: no presence")
    }
}

extension LobbySystemTests {
    /// A socket that completes the upgrade and then never answers (no pong, no frames) is
    /// closed by the server's ping within about two ping periods (1 s here).
    @Test func aSocketThatNeverAnswersIsClosedByThePing() throws {
        let stack = try LobbyStack("lobby-silent", servicesExtra: ["--ws-ping-seconds", "1"])
        defer { stack.stop() }
        let session = try stack.accounts(1)[0]
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(stack.httpPort).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        try #require(connected)
        let request = "GET /v1/lobby?access_token=\(session.accessToken) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let start = Date()
        var closedAfter: Double?
        while Date().timeIntervalSince(start) < 15 {
            let n = recv(fd, &buf, buf.count, 0)
            if n == 0 { closedAfter = Date().timeIntervalSince(start); break }
            if n > 0 { received += buf[0..<n] }
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 101"), "\(text.prefix(200))")
        #expect(text.contains("hello"), "the socket was served before it went silent")
        #expect(closedAfter.map { $0 < 8 } == true, "closed after \(String(describing: closedAfter)) s")
        #expect(SystemTest.http(port: stack.httpPort, path: "/healthz")?.status == 200)
    }
}

/// Runs async work from a synchronous test (the SDK's blocking calls run beside it).
func awaitSync<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let sem = DispatchSemaphore(value: 0)
    Task { box.result = await Result { try await body() }; sem.signal() }
    sem.wait()
    return try box.result!.get()
}

final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension LobbySystemTests {
    /// Tracks as verified downloads: the tracks published to a real S3 API (moto) with
    /// kk-assets, nginx as the CDN, kk-services handing out signed links; two kk-clients (bots)
    /// trusting the signing key meet in a room voting sprint: each prefetches the sprint bundle
    /// while the room counts down, the race is pinned to that exact version, and both race on
    /// the verified bundle.
    @Test func kkClientPrefetchesThePinnedTrackDuringTheCountdownAndRacesOnIt() throws {
        let seed = String(repeating: "3c", count: 32)
        let linkSecret = "link-secret-\(UInt32.random(in: 0...UInt32.max))"
        let s3 = ["KK_S3_ACCESS_KEY": "testing", "KK_S3_SECRET_KEY": "testing"]
        var moto: MotoTestServer.Running?
        var cdn: ScriptedServer?
        var publicKey = ""
        defer { moto?.process.stop(); cdn?.stop() }
        let stack = try LobbyStack("lobby-assets", services: "auth,social,lobby,assets",
                                   servicesEnvironment: s3.merging(["KK_ASSET_LINK_SECRET": linkSecret]) { $1 }) { s in
            let m = try MotoTestServer.start()
            moto = m
            let env = s3.merging(["KK_ASSET_SIGNING_KEY": seed]) { $1 }
            let publish = try ChildProcess(path: SystemTest.product("kk-assets"), arguments: [
                "publish", "--endpoint", m.endpoint, "--build", "b1", "--key-id", "assets-1",
                "--tracks", SystemTest.packageRoot.appendingPathComponent("Config/tracks").path,
            ], environment: env, logPath: "\(s.dir)/publish.log")
            guard publish.wait(seconds: 60) == 0 else { throw StackError("kk-assets publish: \(s.log("publish"))") }
            let key = try ChildProcess(path: SystemTest.product("kk-assets"), arguments: ["public-key"], environment: env, logPath: "\(s.dir)/key.log")
            _ = key.wait(seconds: 30)
            publicKey = s.log("key").trimmingCharacters(in: .whitespacesAndNewlines)
            let c = try ScriptedServer.start(script: "Ops/scripts/nginx-cdn.sh", args: ["\(m.endpoint)/kk-assets", linkSecret], dir: s.dir)
            cdn = c
            return ["--assets-store", m.endpoint, "--assets-cdn-url", "http://127.0.0.1:\(c.port)", "--assets-public-key", "assets-1:\(publicKey)"]
        }
        defer { stack.stop() }
        func client(_ name: String, _ args: [String]) throws -> ChildProcess {
            try stack.kkClient(name, ["--no-show-results", "--asset-public-key", "assets-1:\(publicKey)",
                                      "--asset-cache", "\(stack.s.dir)/\(name)-assets"] + args)
        }
        let host = try client("host", ["--lobby-create", "--lobby-ready", "--lobby-vote", "sprint"])
        let code = stack.roomCode(printedBy: "host")
        #expect(code != nil, "\(stack.s.log("host"))")
        let guest = try client("guest", ["--lobby-join", code ?? "", "--lobby-ready", "--lobby-vote", "sprint"])
        let sprintSha = TrackFiles.sha256(Array(try TrackCatalog.source(named: "sprint").utf8))
        for (name, p) in [("host", host), ("guest", guest)] {
            let status = p.wait(seconds: 90)
            let out = stack.s.log(name)
            #expect(status.map { ($0 >> 8) & 0xff } == 0, "\(name): \(out)")
            #expect(out.contains("assets: build b1 (online)") && out.contains("assets: prefetching track/sprint"), "\(name): \(out)")
            #expect(out.contains("assets: track sprint \(sprintSha.prefix(12)) verified"), "\(name): \(out)")
            #expect(out.contains("race finished"), "\(name): \(out)")
            #expect(FileManager.default.fileExists(atPath: "\(stack.s.dir)/\(name)-assets/bundles/\(sprintSha)"))
        }
    }
}
