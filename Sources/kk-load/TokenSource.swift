import Foundation
import Glibc
import KKLoad
import KKLocalStack
import KKToken
import KKWire

/// Where connect tokens come from: minted here with the shared token key after allocating the
/// match in Redis exactly as the match service does (docs/REDIS-KEYS.md; the default), or asked
/// of kk-match over HTTP (`POST /v1/match {"player": name}` -> `{"token": ConnectToken, ...}`).
protocol TokenSource {
    /// The token for client `index` (the coordinator asks in index order).
    mutating func token(for index: Int) throws -> ConnectToken
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

    mutating func token(for index: Int) throws -> ConnectToken {
        let m = index / playersPerMatch
        if index % playersPerMatch == 0 || matchId == 0 {
            guard let seq = redis.run("INCR", prefix + "match:seq").flatMap(UInt64.init) else { throw LoadError("redis INCR failed") }
            matchId = seq
            let shard = shards[m % shards.count]
            redis.run("HSET", prefix + "match:\(seq)", "shard", shard, "state", "open", "slots", "\(playersPerMatch)",
                      "players", "\(playersPerMatch)")
            redis.run("SADD", prefix + "matches:active", "\(seq)")
            redis.run("SET", prefix + "match:\(seq):owner", shard, "PX", "\(ownershipTtlMillis)")
            redis.run("PUBLISH", prefix + "events", ClusterEvent.alloc(matchId: seq, shard: shard).text)
        }
        // Every client lists every relay, starting at a different one (spreads load; failover order).
        let k = index % relays.count
        let list = Array(relays[k...] + relays[..<k])
        return try issuer.issue(playerId: (runId << 24) | UInt64(index + 1), matchId: matchId, now: UInt64(time(nil)),
                                validSeconds: validSeconds, relays: list)
    }
}

/// Asks kk-match for each client's token (loopback only).
struct MatchServiceTokenSource: TokenSource {
    let port: Int
    let runId = UInt32.random(in: 1...UInt32.max)

    init(url: String) throws {
        // http://127.x.y.z:PORT[/]
        let rest = url.hasPrefix("http://") ? String(url.dropFirst(7)) : url
        let hostPort = rest.split(separator: "/").first.map(String.init) ?? rest
        let parts = hostPort.split(separator: ":")
        guard parts.count == 2, parts[0].hasPrefix("127."), let p = Int(parts[1]) else {
            throw LoadError("--match-url must be http://127.x.x.x:PORT (loopback only)")
        }
        guard parts[0] == "127.0.0.1" else { throw LoadError("--match-url: only 127.0.0.1 is supported by the HTTP helper") }
        port = p
    }

    struct Answer: Decodable { var token: ConnectToken }

    mutating func token(for index: Int) throws -> ConnectToken {
        let body = "{\"player\":\"load-\(runId)-\(index)\"}"
        guard let r = LocalProbe.http("POST", port: port, path: "/v1/match", body: body) else {
            throw LoadError("match service on 127.0.0.1:\(port) did not answer")
        }
        guard r.status == 200 || r.status == 201 else { throw LoadError("match service answered \(r.status): \(r.body.prefix(200))") }
        do { return try JSONDecoder().decode(Answer.self, from: Data(r.body.utf8)).token } catch {
            throw LoadError("match service answer has no token: \(error)")
        }
    }
}
