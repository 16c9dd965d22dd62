import Foundation
import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKRedis
import KKTestSupport
import KKToken
import Testing

/// The realtime stack on a real Redis Cluster (3 primaries + 3 replicas on loopback): kk-match
/// allocates, shards host and snapshot, the relay routes; a primary is killed (its replica is
/// promoted) and a shard is killed (its match is adopted), and the races go on.
@Suite(.serialized) struct RedisClusterStackTests {
    @Test func allocationFailoverAndAdoptionOnACluster() throws {
        let cluster = try RedisClusterTestServer()
        defer { cluster.stop() }
        let seed = cluster.ports[0]
        let s = try StackProcesses("redis-cluster", redisPort: seed)
        defer { s.stopAll() }
        try s.shard("s1", extra: ["--redis-cluster"])
        try s.shard("s2", extra: ["--redis-cluster"])
        try s.relay("r1", extra: ["--redis-cluster"])
        let matchPort = Int(SystemTest.freePort())
        let match = try ChildProcess(path: SystemTest.product("kk-match"), arguments: [
            "--http-port", "\(matchPort)", "--redis-port", "\(seed)", "--redis-cluster", "--key-prefix", s.prefix,
            "--dev-auth", "--players-per-match", "2", "--token-seconds", "120",
        ], environment: ["KK_TOKEN_KEY": s.key.hex], logPath: "\(s.dir)/match.log")
        defer { match.stop() }
        #expect(s.ready("s1") && s.ready("s2") && s.ready("r1"))
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: matchPort, path: "/readyz")?.status == 200 },
                "kk-match not ready: \(s.log("match").suffix(1500))")
        let base = "http://127.0.0.1:\(matchPort)"

        // Allocation: four players, two matches of two, one per shard (least loaded first).
        var tickets: [MatchTicket] = []
        for p in 1...4 {
            tickets.append(try MatchService.requestMatch(baseURL: base, player: "cluster-\(p)", accessToken: nil))
        }
        let matches = Set(tickets.compactMap { $0.token.matchId })
        #expect(matches.count == 2)

        let loop = try EventLoop()
        let clients = try tickets.map { t in
            var driver: BotDriver?
            var config = ClientConfig()
            config.silenceTimeoutMillis = 20_000
            return try GameClient(loop: loop, token: t.token, config: config) { state, slot in
                guard let state, let slot else { return .neutral }
                if driver == nil { driver = BotDriver(slot: slot, seed: UInt64(slot) + 1) }
                return driver!.input(state: state, track: try! TrackCatalog.track(named: "oval"))
            }
        }
        defer { clients.forEach { $0.stop() } }
        func tick(_ c: GameClient) -> UInt32 { c.session.authoritativeState?.tick ?? 0 }
        #expect(drive(loop, timeoutMillis: 15_000) { clients.allSatisfy { $0.session.state == .playing && tick($0) > 60 } },
                "relay log:\n\(s.log("r1").suffix(1500))")

        // Each match's runtime keys live on the primary of their own slot; the directory on its.
        let keys = RedisKeyspace(prefix: s.prefix, cluster: true)
        var owners: [UInt64: String] = [:]
        for m in matches {
            let owner = keys.match(m, "owner")
            let node = try #require(cluster.primary(slot: RedisSlot.of(owner)))
            let holder = cluster.cli(node, "get", owner).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(holder == "s1" || holder == "s2", "owner of \(m) on :\(node): \(holder)")
            owners[m] = holder
            #expect(SystemTest.eventually(seconds: 5) { cluster.cli(node, "exists", keys.match(m, "snap")).hasPrefix("1") })
            print("FIGURE redis-cluster match \(m) runtime slot \(RedisSlot.of(owner)) on :\(node), owner \(holder)")
        }
        #expect(Set(owners.values).count == 2, "one match per shard: \(owners)")
        let dirSlot = RedisSlot.of(keys.dir("shards"))
        let dirPrimary = try #require(cluster.primary(slot: dirSlot))
        #expect(cluster.cli(dirPrimary, "scard", keys.dir("shards")).hasPrefix("2"))

        // The directory's primary dies: the races do not wait for Redis; its replica is promoted
        // and allocation works again.
        let framesBefore = clients.map { $0.session.stats.framesReceived }
        cluster.kill(port: dirPrimary)
        let killedAt = monotonicMillis()
        #expect(drive(loop, timeoutMillis: 10_000) { clients.indices.allSatisfy { clients[$0].session.stats.framesReceived > framesBefore[$0] + 40 } },
                "frames stopped while a Redis primary was down")
        var allocated: MatchTicket?
        while allocated == nil, monotonicMillis() - killedAt < 30_000 {
            allocated = try? MatchService.requestMatch(baseURL: base, player: "cluster-after", accessToken: nil)
            if allocated == nil { _ = drive(loop, timeoutMillis: 100) { false } }
        }
        #expect(allocated != nil, "no allocation after the primary's replica took over; match log:\n\(s.log("match").suffix(1500))")
        print("FIGURE redis-cluster directory-primary-kill-to-allocation-seconds=\(Double(monotonicMillis() - killedAt) / 1000)")
        #expect(clients.allSatisfy { $0.session.state == .playing })

        // A shard dies: the other one adopts its match from the snapshot on the cluster.
        let (victimMatch, victimShard) = try #require(owners.first)
        let survivor = victimShard == "s1" ? "s2" : "s1"
        let watched = clients.filter { $0.token.matchId == victimMatch }
        #expect(watched.count == 2)
        let tickAtKill = watched.map(tick).max() ?? 0
        s.children[victimShard]?.signal(SIGKILL)
        let shardKilledAt = monotonicMillis()
        #expect(drive(loop, timeoutMillis: 15_000) { watched.allSatisfy { tick($0) > tickAtKill + 30 } },
                "no frames after the shard kill; \(survivor) log:\n\(s.log(survivor).suffix(2000))")
        print("FIGURE redis-cluster shard-kill-to-frames-seconds=\(Double(monotonicMillis() - shardKilledAt) / 1000)")
        #expect(s.log(survivor).contains("adopted match from snapshot"))
        let newDir = try #require(cluster.primary(slot: dirSlot))
        #expect(newDir != dirPrimary)
        #expect(cluster.cli(newDir, "hget", keys.dir("match:\(victimMatch)"), "shard").hasPrefix(survivor))
        let owner = keys.match(victimMatch, "owner")
        let ownerNode = try #require(cluster.primary(slot: RedisSlot.of(owner)))
        #expect(cluster.cli(ownerNode, "get", owner).hasPrefix(survivor))
        #expect(clients.allSatisfy { $0.session.state == .playing })
    }
}
