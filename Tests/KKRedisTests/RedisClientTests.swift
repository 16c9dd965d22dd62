import KKLoop
import KKRedis
import KKTestSupport
import Testing

@Suite struct RedisClientTests {
    /// A connected client on the shared test server.
    private func connected() throws -> (EventLoop, RedisClient) {
        let loop = try EventLoop()
        let client = RedisClient(loop: loop, options: .init(port: try RedisTestServer.port()))
        client.connect()
        #expect(drive(loop) { client.isConnected })
        return (loop, client)
    }

    @Test func binaryValueRoundTrips() throws {
        let (loop, client) = try connected()
        defer { client.close(); loop.close() }
        let value: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x24] + (0...255).map { UInt8($0) } + [0x00]
        let key: [UInt8] = Array(uniqueKey("bin").utf8) + [0x00, 0xFF]
        #expect(roundTrip(client, loop, ["SET", .bytes(key), .bytes(value), "PX", 10_000]) == .status("OK"))
        #expect(roundTrip(client, loop, ["GET", .bytes(key)]) == .string(value))
        #expect(roundTrip(client, loop, ["SET", .bytes(key), .bytes([])]) == .status("OK"))
        #expect(roundTrip(client, loop, ["GET", .bytes(key)]) == .string([]))
        #expect(roundTrip(client, loop, ["DEL", .bytes(key)]) == .integer(1))
        #expect(roundTrip(client, loop, ["GET", .bytes(key)]) == .nil)
    }

    @Test func incrPipelinedInOrder() throws {
        let (loop, client) = try connected()
        defer { client.close(); loop.close() }
        let key = uniqueKey("incr")
        var seen: [Int64] = []
        for _ in 0..<100 {
            #expect(client.command(["INCR", key]) { if case .integer(let v) = $0 { seen.append(v) } })
        }
        #expect(drive(loop) { seen.count == 100 })
        #expect(seen == Array(1...100))
        #expect(client.inFlight == 0)
        #expect(roundTrip(client, loop, ["DEL", .string(key)]) == .integer(1))
    }

    @Test func keyWithPxTtlExpires() throws {
        let (loop, client) = try connected()
        defer { client.close(); loop.close() }
        let key = uniqueKey("ttl")
        #expect(roundTrip(client, loop, ["SET", .string(key), "v", "PX", 60_000]) == .status("OK"))
        #expect(roundTrip(client, loop, ["PEXPIRE", .string(key), 30]) == .integer(1))
        var gone = false
        let poll = LoopTimer(loop: loop)
        defer { poll.close() }
        poll.start(afterMillis: 5, repeatMillis: 10) {
            client.command(["GET", key]) { if $0 == .nil { gone = true } }
        }
        #expect(drive(loop, timeoutMillis: 10_000) { gone })
    }

    @Test func pubSubDeliversBinaryMessages() throws {
        let (loop, client) = try connected()
        let sub = RedisSubscriber(loop: loop, options: client.options)
        defer { sub.close(); client.close(); loop.close() }
        let channel = uniqueKey("chan")
        var got: [[UInt8]] = []
        sub.subscribe(channel) { got.append($0) }
        sub.connect()
        #expect(drive(loop) { sub.activeChannels.contains(channel) })
        let payload: [UInt8] = [0x00, 0xFF, 0x01, 0x80]
        #expect(roundTrip(client, loop, ["PUBLISH", .string(channel), .bytes(payload)]) == .integer(1))
        #expect(roundTrip(client, loop, ["PUBLISH", .string(channel), "second"]) == .integer(1))
        #expect(drive(loop) { got.count == 2 })
        #expect(got == [payload, Array("second".utf8)])
        // A channel added while connected is subscribed at once.
        let other = uniqueKey("chan2")
        var otherGot: [UInt8]?
        sub.subscribe(other) { otherGot = $0 }
        #expect(drive(loop) { sub.activeChannels.contains(other) })
        #expect(roundTrip(client, loop, ["PUBLISH", .string(other), "x"]) == .integer(1))
        #expect(drive(loop) { otherGot == Array("x".utf8) })
        #expect(sub.messagesDelivered == 3)
    }

    @Test func refusesWhenDisconnectedOverBoundOrModeCommand() throws {
        let loop = try EventLoop()
        let client = RedisClient(loop: loop, options: .init(port: try RedisTestServer.port(), maxInFlight: 2))
        defer { client.close(); loop.close() }
        var early: RedisReply?
        #expect(!client.command(["PING"]) { early = $0 })
        #expect(early == .failed(.disconnected))  // synchronously, before connect
        client.connect()
        #expect(drive(loop) { client.isConnected })
        var replies: [RedisReply] = []
        #expect(client.command(["PING"]) { replies.append($0) })
        #expect(client.command(["PING"]) { replies.append($0) })
        #expect(!client.command(["PING"]) { replies.append($0) })
        #expect(replies == [.failed(.tooManyInFlight)])
        #expect(client.stats.refusedInFlight == 1)
        #expect(drive(loop) { replies.count == 3 })
        #expect(Array(replies[1...]) == [.status("PONG"), .status("PONG")])
        #expect(!client.command(["SUBSCRIBE", "x"]) { replies.append($0) })
        #expect(replies.last == .failed(.unsupportedCommand("SUBSCRIBE")))
        #expect(roundTrip(client, loop, ["NOSUCHCOMMAND"])?.isError == true)
    }

    @Test func closeFailsInFlightAndIsSafeFromCallbacks() throws {
        let (loop, client) = try connected()
        defer { loop.close() }
        // close() from inside a reply: later replies are still delivered or lost, never crash.
        var replies: [RedisReply] = []
        client.command(["PING"]) { replies.append($0); client.close() }
        client.command(["PING"]) { replies.append($0) }
        #expect(drive(loop) { replies.count == 2 })
        #expect(!client.isConnected)
        #expect(!client.command(["PING"]) { replies.append($0) })
        #expect(replies.last == .failed(.closed))

        // close() right after sending: the reply is failed at once.
        let c2 = RedisClient(loop: loop, options: client.options)
        c2.connect()
        #expect(drive(loop) { c2.isConnected })
        var r2: RedisReply?
        c2.command(["PING"]) { r2 = $0 }
        c2.close()
        #expect(r2 == .failed(.closed))

        // close() from the connect notification (hiredis' connect callback): deferred free.
        let c3 = RedisClient(loop: loop, options: client.options)
        var ups = 0
        c3.onStateChange = { [weak c3] up in if up { ups += 1; c3?.close() } }
        c3.connect()
        #expect(drive(loop) { ups == 1 && !c3.isConnected })
        loop.runOnce(wait: false)
        #expect(c3.stats.connects == 1)
    }
}
