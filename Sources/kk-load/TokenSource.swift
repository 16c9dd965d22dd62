import Foundation
import Glibc
import KKClientSDK
import KKLoad
import KKLobbyCore
import KKLocalStack
import KKMatch
import KKToken
import KKWire

/// Where connect tokens come from: minted here with the shared token key after allocating the
/// match in Redis exactly as the match service does (docs/REDIS-KEYS.md; the default), or asked
/// of kk-match over HTTP (`POST /v1/match {"player": name}` -> `{"token": ConnectToken, ...}`).
protocol TokenSource {
    /// The token for client `index` (the coordinator asks in index order).
    mutating func token(for index: Int) throws -> ConnectToken
    /// The token for client `index`'s race number `race` (2, 3, ...) after its previous race
    /// ended (scenario `rematch`): the clients of one match ask one after another and get one
    /// new match together.
    mutating func nextRaceToken(for index: Int, race: Int) throws -> ConnectToken
}

extension TokenSource {
    mutating func nextRaceToken(for index: Int, race: Int) throws -> ConnectToken {
        throw LoadError("this token source gives each client one race (rematch needs local tokens or --match-url)")
    }
}

/// Allocates one match per `playersPerMatch` clients, round-robin over the shards, and mints tokens.
struct LocalTokenSource: TokenSource {
    let redis: RedisSync
    let issuer: TokenIssuer
    let prefix: String
    let shards: [String]
    let relays: [String]
    let playersPerMatch: Int
    let ownershipTtlMillis: Int
    let validSeconds: UInt64
    let runId = UInt64(UInt32.random(in: 1...UInt32.max))
    var matchId: UInt64 = 0
    /// Matches allocated for later races, by (race, group), and how many tokens each gave.
    private var nextRaces: [NextRace: (matchId: UInt64, given: Int)] = [:]
    private struct NextRace: Hashable { var race: Int; var group: Int }

    init(redis: RedisSync, issuer: TokenIssuer, prefix: String, shards: [String], relays: [String], playersPerMatch: Int,
         ownershipTtlMillis: Int, validSeconds: UInt64) {
        self.redis = redis; self.issuer = issuer; self.prefix = prefix; self.shards = shards; self.relays = relays
        self.playersPerMatch = playersPerMatch; self.ownershipTtlMillis = ownershipTtlMillis; self.validSeconds = validSeconds
    }

    mutating func token(for index: Int) throws -> ConnectToken {
        if index % playersPerMatch == 0 || matchId == 0 {
            matchId = try allocate(shard: shards[(index / playersPerMatch) % shards.count])
        }
        return try issue(index: index, matchId: matchId)
    }

    /// A group's next race goes to the next shard in the rotation (the shard ids are the
    /// configured ones: one that is down has its match adopted, as for a first race).
    mutating func nextRaceToken(for index: Int, race: Int) throws -> ConnectToken {
        let key = NextRace(race: race, group: index / playersPerMatch)
        var entry = nextRaces[key] ?? (matchId: 0, given: 0)
        if entry.matchId == 0 { entry.matchId = try allocate(shard: shards[(key.group + race - 1) % shards.count]) }
        entry.given += 1
        nextRaces[key] = entry.given >= playersPerMatch ? nil : entry
        return try issue(index: index, matchId: entry.matchId)
    }

    /// Allocates a match on `shard` exactly as the match service does.
    private func allocate(shard: String) throws -> UInt64 {
        let nowMillis = UInt64(Date().timeIntervalSince1970 * 1000)
        guard let seq = redis.run("EVAL", AllocatorScripts.nextMatchId + "return nextMatchId(KEYS[1], ARGV[1])", "1",
                                  prefix + "match:seq", "\(nowMillis)").flatMap(UInt64.init) else {
            throw LoadError("redis: no match id")
        }
        redis.run("HSET", prefix + "match:\(seq)", "shard", shard, "state", "open", "slots", "\(playersPerMatch)",
                  "players", "\(playersPerMatch)")
        redis.run("SADD", prefix + "matches:active", "\(seq)")
        redis.run("SET", prefix + "match:\(seq):owner", shard, "PX", "\(ownershipTtlMillis)")
        redis.run("PUBLISH", prefix + "events", ClusterEvent.alloc(matchId: seq, shard: shard).text)
        return seq
    }

    private func issue(index: Int, matchId: UInt64) throws -> ConnectToken {
        // Every client lists every relay, starting at a different one (spreads load; failover order).
        let k = index % relays.count
        let list = Array(relays[k...] + relays[..<k])
        return try issuer.issue(playerId: (runId << 24) | UInt64(index + 1), matchId: matchId, now: UInt64(time(nil)),
                                validSeconds: validSeconds, relays: list)
    }
}

/// Asks kk-match for each client's token (loopback only). With an auth service (`--auth-url`)
/// each client first logs in as a device of its own (`kkload-<run>-<index>`: a real account,
/// created on its first login) and asks with its bearer access token, as a player's game does;
/// without one, kk-match must run with `--dev-auth` and plays the name `load-<run>-<index>`.
struct MatchServiceTokenSource: TokenSource {
    let matchURL: String
    let auth: AuthClient?
    let runId = UInt32.random(in: 1...UInt32.max)
    /// Accounts logged in (one per client).
    private(set) var logins = 0

    init(url: String, authURL: String?) throws {
        for (name, u) in [("--match-url", url), ("--auth-url", authURL ?? "http://127.0.0.1:1")] {
            let rest = u.hasPrefix("http://") ? String(u.dropFirst(7)) : ""
            guard rest.hasPrefix("127.") || rest.hasPrefix("[::1]") else {
                throw LoadError("\(name) must be http://127.x.x.x:PORT or http://[::1]:PORT (loopback only)")
            }
        }
        matchURL = url
        auth = authURL.map { AuthClient(baseURL: $0) }
    }

    mutating func token(for index: Int) throws -> ConnectToken {
        var access: String?
        if let auth {
            do { access = try auth.loginDevice(deviceId: "kkload-\(runId)-\(index)").accessToken } catch {
                throw LoadError("auth service: \(error.message)")
            }
            logins += 1
        }
        do {
            return try MatchService.requestMatch(baseURL: matchURL, player: "load-\(runId)-\(index)", accessToken: access).token
        } catch { throw LoadError("match service: \(error.message)") }
    }

    /// The player asks the match service again, as a game does after a race.
    mutating func nextRaceToken(for index: Int, race: Int) throws -> ConnectToken { try token(for: index) }
}

/// Tokens through the lobby, as players get them: each client logs in as a device account of its
/// own (the auth service), then groups of `roomSize` form a private room (the first creates it,
/// the others join by its code), vote, ready up, and each takes the connect token the lobby
/// pushes when the countdown ends. A group is formed when its first client's token is asked for
/// (the coordinator asks in index order); its sockets close once every token came.
struct LobbyTokenSource: TokenSource {
    let authURL: String
    let lobbyURL: String
    let roomSize: Int
    let tracks: [String]
    let runId = UInt32.random(in: 1...UInt32.max)
    private var cached: [Int: ConnectToken] = [:]
    /// Rooms formed; the longest a room took from its first login to its last token.
    private(set) var rooms = 0
    private(set) var slowestRoomSeconds = 0.0

    init(authURL: String, lobbyURL: String, roomSize: Int, tracks: [String] = ["oval"]) throws {
        let rest = authURL.hasPrefix("http://") ? String(authURL.dropFirst(7)) : ""
        guard rest.hasPrefix("127.") || rest.hasPrefix("[::1]") else { throw LoadError("--auth-url must be a loopback http:// URL") }
        guard lobbyURL.hasPrefix("ws://127.") || lobbyURL.hasPrefix("ws://[::1]") else { throw LoadError("--lobby-url must be a loopback ws:// URL") }
        self.authURL = authURL; self.lobbyURL = lobbyURL; self.roomSize = max(2, roomSize); self.tracks = tracks
    }

    mutating func token(for index: Int) throws -> ConnectToken {
        if let t = cached.removeValue(forKey: index) { return t }
        let first = index - index % roomSize
        let started = Date()
        let auth = AuthClient(baseURL: authURL)
        var clients: [LobbyClient] = []
        defer { clients.forEach { $0.close() } }
        for i in first..<(first + roomSize) {
            let s: AuthSession
            do { s = try auth.loginDevice(deviceId: "kkload-\(runId)-\(i)") } catch { throw LoadError("auth service: \(error.message)") }
            let c = LobbyClient(url: lobbyURL, accessToken: s.accessToken, autoReconnect: false)
            c.connect()
            guard c.waitFor(timeoutMillis: 10_000, { $0.type == "hello" }) != nil else { throw LoadError("lobby: no hello for client \(i)") }
            clients.append(c)
        }
        clients[0].send(LobbyCommand(op: .create))
        guard let code = clients[0].waitFor(timeoutMillis: 10_000, { $0.type == "room" })?.room?.code else {
            throw LoadError("lobby: client \(first) got no room")
        }
        for (k, c) in clients.enumerated().dropFirst() {
            c.send(LobbyCommand(op: .join, ref: "join", code: code))
            guard let r = c.waitFor(timeoutMillis: 10_000, { $0.ref == "join" }), r.type == "ok" else {
                throw LoadError("lobby: client \(first + k) could not join room \(code)")
            }
        }
        for (k, c) in clients.enumerated() {
            c.send(LobbyCommand(op: .vote, track: tracks[(first / roomSize + k) % tracks.count]))
            c.send(LobbyCommand(op: .ready, ready: true))
        }
        for (k, c) in clients.enumerated() {
            guard let m = c.waitFor(timeoutMillis: 30_000, { $0.type == "match" || ($0.type == "error" && $0.code == "start_failed") }),
                  let a = m.match else {
                throw LoadError("lobby: client \(first + k) got no race")
            }
            cached[first + k] = a.token
        }
        rooms += 1
        slowestRoomSeconds = max(slowestRoomSeconds, Date().timeIntervalSince(started))
        guard let t = cached.removeValue(forKey: index) else { throw LoadError("lobby: no token for client \(index)") }
        return t
    }
}
