import Glibc
import KKLoop
import KKRedis
import KKTestSupport
import Testing

@Suite struct RedisReconnectTests {
    /// Kill the server under a client and a subscriber, restart it on the same port: both come
    /// back, the subscriber resubscribes, commands are refused meanwhile (no crash, no hang).
    @Test func reconnectsAndResubscribesAfterServerRestart() throws {
        let server = PrivateRedis()
        try server.start()
        let loop = try EventLoop()
        let options = RedisClient.Options(port: server.port)
        let client = RedisClient(loop: loop, options: options)
        let sub = RedisSubscriber(loop: loop, options: options)
        defer { sub.close(); client.close(); loop.close() }
        var states: [Bool] = []
        client.onStateChange = { states.append($0) }
        var got: [String] = []
        sub.subscribe("kk:test:events") { got.append(String(decoding: $0, as: UTF8.self)) }
        client.connect()
        sub.connect()
        #expect(drive(loop) { client.isConnected && sub.activeChannels.contains("kk:test:events") })
        #expect(roundTrip(client, loop, ["SET", "k", "before"]) == .status("OK"))

        var blocked: RedisReply?
        #expect(client.command(["BLPOP", "kk:never", 30]) { blocked = $0 })
        server.kill()
        #expect(drive(loop) { !client.isConnected && !sub.isConnected && blocked != nil })
        #expect(blocked == .failed(.connectionLost))
        #expect(states == [true, false])
        var refused: RedisReply?
        #expect(!client.command(["GET", "k"]) { refused = $0 })
        #expect(refused == .failed(.disconnected))
        #expect(client.inFlight == 0)

        try server.start()
        #expect(drive(loop) { client.isConnected && sub.activeChannels.contains("kk:test:events") })
        #expect(states == [true, false, true])
        #expect(roundTrip(client, loop, ["GET", "k"]) == .nil)  // a fresh server
        #expect(roundTrip(client, loop, ["PUBLISH", "kk:test:events", "after"]) == .integer(1))
        #expect(drive(loop) { got == ["after"] })
        #expect(client.stats.connects == 2 && client.stats.disconnects == 1)
    }

    /// Redis not running at start: the client keeps retrying with backoff, then connects.
    @Test func connectsWhenServerAppearsLater() throws {
        let server = PrivateRedis()
        let loop = try EventLoop()
        let client = RedisClient(loop: loop, options: .init(port: server.port, minBackoffMillis: 10, maxBackoffMillis: 100))
        defer { client.close(); loop.close() }
        client.connect()
        #expect(drive(loop) { client.stats.connectAttempts >= 4 })
        #expect(!client.isConnected)
        var refused: RedisReply?
        #expect(!client.command(["PING"]) { refused = $0 })
        #expect(refused == .failed(.disconnected))
        try server.start()
        #expect(drive(loop) { client.isConnected })
        #expect(roundTrip(client, loop, ["PING"]) == .status("PONG"))
    }

    /// The server dies with our command unread in its socket: the kernel answers with RST and
    /// libuv reports POLLERR (status < 0). The client must notice (hiredis' stock libuv adapter
    /// ignores that status and would hang), fail the command, and reconnect.
    @Test func connectionResetIsNoticed() throws {
        let server = PrivateRedis()
        try server.start()
        let loop = try EventLoop()
        let client = RedisClient(loop: loop, options: .init(port: server.port, minBackoffMillis: 10))
        defer { client.close(); loop.close() }
        client.connect()
        #expect(drive(loop) { client.isConnected })
        server.signal(SIGSTOP)
        var reply: RedisReply?
        #expect(client.command(["PING"]) { reply = $0 })
        loop.runOnce(wait: false)  // writable: hiredis writes the PING
        loop.runOnce(wait: false)
        server.kill()
        #expect(drive(loop, timeoutMillis: 10_000) { !client.isConnected && reply != nil })
        #expect(reply == .failed(.connectionLost))
        try server.start()
        #expect(drive(loop) { client.isConnected })
        #expect(roundTrip(client, loop, ["PING"]) == .status("PONG"))
    }
}
