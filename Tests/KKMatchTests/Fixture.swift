import Foundation
import KKLoop
import KKMatch
import KKRedis
import KKTestSupport

/// A synchronous Redis connection for test setup and checks (drives its own loop on the caller's
/// thread until the reply; no sleeps), plus a fresh key prefix so suites sharing one redis-server
/// never collide.
final class Fixture {
    let port: Int
    let keys: MatchKeys
    private let loop: EventLoop
    private let client: RedisClient

    init() throws {
        port = try RedisTestServer.port()
        keys = MatchKeys(prefix: "kkt\(UInt64.random(in: 0...UInt64.max)):")
        loop = try EventLoop()
        client = RedisClient(loop: loop, options: .init(port: port))
        client.connect()
        guard drive({ self.client.isConnected }) else { throw RedisError.disconnected }
    }

    deinit {
        client.close()
        loop.close()
    }

    /// Runs the loop until `done()` or 5 s.
    private func drive(_ done: () -> Bool) -> Bool {
        var expired = false
        let deadline = LoopTimer(loop: loop)
        deadline.start(afterMillis: 5000) { expired = true; self.loop.stop() }
        defer { deadline.close() }
        while !done() && !expired { loop.runOnce(wait: true) }
        return done()
    }

    @discardableResult
    func cmd(_ args: String...) -> RedisReply? { cmd(args) }

    @discardableResult
    func cmd(_ args: [String]) -> RedisReply? {
        var result: RedisReply?
        client.command(args) { result = $0 }
        _ = drive { result != nil }
        return result
    }

    func int(_ args: String...) -> Int64? {
        if case .integer(let i) = cmd(args) { return i }
        return nil
    }

    func text(_ args: String...) -> String? { cmd(args)?.text }

    /// Registers a fake shard as a heartbeat would (hash with a TTL + set membership).
    func addShard(_ sid: String, capacity: Int = 30, matches: Int = 0, draining: Bool = false, tracks: [String]? = nil) {
        cmd("HSET", keys.shard(sid), "addr", "127.0.0.1:9\(sid.count)00", "capacity", "\(capacity)", "matches", "\(matches)",
            "draining", draining ? "1" : "0", "instance", "test")
        if let tracks { cmd("HSET", keys.shard(sid), "tracks", tracks.joined(separator: " ")) }
        cmd("PEXPIRE", keys.shard(sid), "60000")
        cmd("SADD", keys.shards, sid)
    }

    func addRelay(_ rid: String, addr: String, draining: Bool = false) {
        cmd("HSET", keys.relay(rid), "addr", addr, "draining", draining ? "1" : "0")
        cmd("PEXPIRE", keys.relay(rid), "60000")
        cmd("SADD", keys.relays, rid)
    }

    /// Deletes every key under this fixture's prefix.
    func cleanup() {
        guard case .array(let items) = cmd("KEYS", keys.prefix + "*") else { return }
        let names = items.compactMap(\.text)
        if !names.isEmpty { cmd(["DEL"] + names) }
    }

    func allocatorConfig(playersPerMatch: Int = 8, track: String = "oval") -> AllocatorConfig {
        AllocatorConfig(keys: keys, playersPerMatch: playersPerMatch, track: track)
    }

    /// A bridge on the test server, returned once Redis is connected.
    func bridge(playersPerMatch: Int = 8, port: Int? = nil, awaitConnected: Bool = true, track: String = "oval") async throws -> MatchBridge {
        let (stream, cont) = AsyncStream.makeStream(of: Bool.self)
        let b = try MatchBridge(options: .init(redis: .init(port: port ?? self.port),
                                               allocator: allocatorConfig(playersPerMatch: playersPerMatch, track: track)),
                                onConnectionChange: { cont.yield($0) })
        if awaitConnected, !b.isRedisConnected {
            for await up in stream where up { break }
        }
        return b
    }
}

/// The value at quantile `q` (0...1) of `sorted` (nearest rank).
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((Double(sorted.count) * q).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}
