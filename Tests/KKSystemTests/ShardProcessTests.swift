import Glibc
import KKTestSupport
import Testing

/// kk-shard as a process against a real redis-server.
@Suite(.serialized) struct ShardProcessTests {
    @Test func registersRefusesDuplicateAndExpiresWhenKilled() throws {
        let s = try StackProcesses("shard-reg")
        let s1 = try s.shard("s1", ttlMillis: 900)
        #expect(s.ready("s1"))
        let redis = try #require(RedisSync(port: s.redisPort))
        #expect(redis.run("HGET", s.prefix + "shard:s1", "addr")?.hasPrefix("127.0.0.1:") == true)
        #expect(redis.run("SISMEMBER", s.prefix + "shards", "s1") == "1")
        // A second process with the same id is refused with a clear error and exit code 3.
        let dup = try s.shard("s1-dup", extra: ["--id", "s1"])
        #expect(dup.wait(seconds: 10) .map { ($0 >> 8) & 0xFF } == 3)
        #expect(s.log("s1-dup").contains("duplicate id"))
        #expect(s1.isRunning)
        // Killed without deregistering: the registration expires after its TTL.
        s1.signal(SIGKILL)
        s1.wait(seconds: 5)
        #expect(SystemTest.eventually(seconds: 3) { redis.run("EXISTS", s.prefix + "shard:s1") == "0" })
    }

    @Test func gracefulStopDeregisters() throws {
        let s = try StackProcesses("shard-term")
        let s1 = try s.shard("s1")
        #expect(s.ready("s1"))
        let redis = try #require(RedisSync(port: s.redisPort))
        s1.signal(SIGTERM)
        #expect(s1.wait(seconds: 10) == 0)
        #expect(redis.run("EXISTS", s.prefix + "shard:s1") == "0")
        #expect(redis.run("SISMEMBER", s.prefix + "shards", "s1") == "0")
    }

    /// Redis down at start: not ready, says why, keeps retrying, becomes ready when Redis appears.
    @Test func redisDownAtStartThenUp() throws {
        let port = Int(SystemTest.freePort())
        let s = try StackProcesses("shard-noredis", redisPort: port)
        try s.shard("s1")
        #expect(SystemTest.eventually(seconds: 10) { SystemTest.http(port: s.adminPorts["s1"]!, path: "/healthz")?.status == 200 })
        #expect(SystemTest.eventually(seconds: 5) {
            let r = SystemTest.http(port: s.adminPorts["s1"]!, path: "/readyz")
            return r?.status == 503 && r?.body.contains("redis unreachable") == true
        })
        let redis = try ChildProcess(path: "/usr/bin/redis-server",
                                     arguments: ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                     logPath: "\(s.dir)/redis.log")
        defer { redis.stop() }
        #expect(s.ready("s1", seconds: 15))
        #expect(s.children["s1"]!.isRunning)
    }

    @Test func badConfigIsAClearErrorNotACrash() throws {
        let s = try StackProcesses("shard-badcfg")
        let p = try s.shard("bad", extra: ["--players-per-match", "99"])
        let status = p.wait(seconds: 10)
        #expect(status.map { ($0 >> 8) & 0xFF } == 64)  // ArgumentParser's validation exit code
        #expect(s.log("bad").contains("playersPerMatch"))
    }
}

/// POST /drain: no new matches, readyz false, running matches finish, then deregister and exit.
@Suite(.serialized) struct ShardDrainTests {
    @Test func drainWaitsForMatchesThenExits() throws {
        let s = try StackProcesses("shard-drain")
        let s1 = try s.shard("s1")
        #expect(s.ready("s1"))
        let redis = try #require(RedisSync(port: s.redisPort))
        redis.run("HSET", s.prefix + "match:77", "shard", "s1", "state", "open")
        redis.run("SET", s.prefix + "match:77:owner", "s1", "PX", "5000")
        redis.run("PUBLISH", s.prefix + "events", "alloc 77 s1")
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: s.adminPorts["s1"]!, path: "/status")?.body.contains("\"id\":77") == true
        })
        #expect(SystemTest.http("POST", port: s.adminPorts["s1"]!, path: "/drain")?.status == 202)
        #expect(SystemTest.eventually(seconds: 3) {
            let r = SystemTest.http(port: s.adminPorts["s1"]!, path: "/readyz")
            return r?.status == 503 && r?.body.contains("draining") == true
        })
        // The hosted match keeps the shard alive, and the registration says draining.
        #expect(s1.isRunning)
        #expect(SystemTest.eventually(seconds: 3) { redis.run("HGET", s.prefix + "shard:s1", "draining") == "1" })
        // A match allocated to it now is refused (not created).
        redis.run("HSET", s.prefix + "match:78", "shard", "s1", "state", "open")
        redis.run("PUBLISH", s.prefix + "events", "alloc 78 s1")
        #expect(SystemTest.eventually(seconds: 5) { s.log("s1").contains("refusing match 78") })
        #expect(SystemTest.http(port: s.adminPorts["s1"]!, path: "/status")?.body.contains("\"id\":78") == false)
    }

    @Test func drainWithNoMatchesDeregistersAndExits() throws {
        let s = try StackProcesses("shard-drain-empty")
        let s1 = try s.shard("s1")
        #expect(s.ready("s1"))
        #expect(SystemTest.http("POST", port: s.adminPorts["s1"]!, path: "/drain")?.status == 202)
        #expect(s1.wait(seconds: 10) == 0)
        #expect(RedisSync(port: s.redisPort)?.run("EXISTS", s.prefix + "shard:s1") == "0")
    }
}

/// kk-relay's readiness: Redis reachable and at least one shard registered.
@Suite(.serialized) struct RelayReadinessTests {
    @Test func relayIsNotReadyUntilAShardRegisters() throws {
        let s = try StackProcesses("relay-ready")
        try s.relay("r1")
        #expect(SystemTest.eventually(seconds: 10) {
            let r = SystemTest.http(port: s.adminPorts["r1"]!, path: "/readyz")
            return r?.status == 503 && r?.body.contains("no shard registered") == true
        })
        try s.shard("s1")
        #expect(s.ready("s1"))
        #expect(s.ready("r1", seconds: 10))
    }
}
