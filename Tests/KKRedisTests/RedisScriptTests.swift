import KKLoop
import KKRedis
import KKTestSupport
import Testing

@Suite struct RedisScriptTests {
    @Test func evalshaFallsBackToEvalOnNoscript() throws {
        let loop = try EventLoop()
        let client = RedisClient(loop: loop, options: .init(port: try RedisTestServer.port()))
        defer { client.close(); loop.close() }
        client.connect()
        #expect(drive(loop) { client.isConnected })
        // A never-seen script (unique comment) so the first EVALSHA gets NOSCRIPT.
        let script = RedisScript("-- \(uniqueKey("script"))\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])")
        let key = uniqueKey("slots")
        var results: [RedisReply] = []
        script.run(on: client, keys: [.string(key)], args: [5]) { results.append($0) }
        #expect(drive(loop) { results.count == 1 })
        #expect(script.fallbacks == 1)
        script.run(on: client, keys: [.string(key)], args: [2]) { results.append($0) }
        #expect(drive(loop) { results.count == 2 })
        #expect(script.fallbacks == 1)  // cached by EVAL: EVALSHA worked
        #expect(results == [.integer(5), .integer(7)])
        // Our SHA-1 is the server's.
        #expect(roundTrip(client, loop, ["SCRIPT", "LOAD", .string(script.source)]) == .string(Array(script.sha1.utf8)))
        #expect(roundTrip(client, loop, ["DEL", .string(key)]) == .integer(1))
    }
}
