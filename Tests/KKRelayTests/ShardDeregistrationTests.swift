import KKRedis
import KKTestSupport
import Testing

/// A shard's graceful exit removes its registration for good (against a real redis-server).
@Suite(.serialized) struct ShardDeregistrationTests {
    /// The loop keeps turning after the exit was asked for (as it does until Redis answered):
    /// no heartbeat may register the shard again behind the removal. Before the fix the
    /// periodic timer kept running and its next heartbeat re-created the entry.
    @Test func noHeartbeatRegistersAgainAfterTheExitWasAsked() throws {
        let stack = try LiveStack()
        var exitCode: Int32?
        stack.registry.onExit = { exitCode = $0 }
        let hash = RedisArg.string(stack.prefix + "shard:s1")
        #expect(stack.query(["EXISTS", hash]) == .integer(1))
        stack.registry.deregisterAndExit(code: 0)
        #expect(drive(stack.loop) { exitCode != nil })
        #expect(exitCode == 0)
        // Three heartbeat intervals (TTL 1000 ms / 3) with the loop running.
        _ = drive(stack.loop, timeoutMillis: 1000) { false }
        #expect(stack.query(["EXISTS", hash]) == .integer(0))
        #expect(stack.query(["SISMEMBER", .string(stack.prefix + "shards"), "s1"]) == .integer(0))
        #expect(stack.query(["ZSCORE", .string(stack.prefix + "shards:alive"), "s1"]) == .nil)
        // Asked again (the drain check runs every 100 ms): nothing more happens.
        stack.registry.deregisterAndExit(code: 5)
        #expect(exitCode == 0)
    }

    /// Redis lost its script cache since the shard last ran the script (restarted, failed over):
    /// the EVALSHA fails with NOSCRIPT and the script is sent again. The process exits the way
    /// kk-shard does (the loop stops and the registry closes at once): the removal must have
    /// run by then. Before, the exit followed the PUBLISH sent beside the EVALSHA, and closing
    /// the connection dropped the fallback.
    @Test func theRemovalHasRunWhenTheExitComesEvenAfterANoscriptFallback() throws {
        let stack = try LiveStack()
        var exitCode: Int32?
        stack.registry.onExit = { exitCode = $0 }
        #expect(stack.query(["SCRIPT", "FLUSH"]) == .status("OK"))
        stack.registry.deregisterAndExit(code: 0)
        #expect(drive(stack.loop) { exitCode != nil })
        stack.registry.close()
        #expect(stack.query(["EXISTS", .string(stack.prefix + "shard:s1")]) == .integer(0))
        #expect(stack.query(["SISMEMBER", .string(stack.prefix + "shards"), "s1"]) == .integer(0))
    }

    /// A process that lost its id to another live instance never deletes that one's entry.
    @Test func theExitRemovesOnlyThisProcesssEntry() throws {
        let stack = try LiveStack()
        var exitCode: Int32?
        stack.registry.onExit = { exitCode = $0 }
        let hash = RedisArg.string(stack.prefix + "shard:s1")
        #expect(stack.query(["HSET", hash, "instance", "another-process"]) == .integer(0))
        stack.registry.deregisterAndExit(code: 0)
        #expect(drive(stack.loop) { exitCode != nil })
        #expect(stack.query(["HGET", hash, "instance"])?.text == "another-process")
        #expect(stack.query(["SISMEMBER", .string(stack.prefix + "shards"), "s1"]) == .integer(1))
    }
}

extension LiveStack {
    /// One command on the stack's own Redis connection, driven to its reply.
    func query(_ args: [RedisArg]) -> RedisReply? { roundTrip(redis, loop, args) }
}
