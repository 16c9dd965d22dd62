import KKENet
import KKLoop
import KKTestSupport
import Testing

/// The ENet adapter on one libuv loop: two real hosts on loopback.
@Suite struct ENetEndpointTests {
    @Test func connectSendBothWaysAndDisconnect() throws {
        let loop = try EventLoop()
        let server = try ENetEndpoint(loop: loop, bind: ("127.0.0.1", 0), maxPeers: 4)
        let client = try ENetEndpoint(loop: loop, bind: nil, maxPeers: 1)
        var serverEvents: [String] = [], clientEvents: [String] = []
        var serverPeer: ENetPeerHandle?
        var batchesEnded = 0
        server.start(afterEvents: { batchesEnded += 1 }) { e in
            switch e {
            case .connected(let p, _): serverPeer = p; serverEvents.append("connected")
            case .disconnected: serverEvents.append("disconnected")
            case .received(_, let channel, let bytes): serverEvents.append("got \(channel) \(Array(bytes))")
            }
        }
        client.start { e in
            switch e {
            case .connected: clientEvents.append("connected")
            case .disconnected: clientEvents.append("disconnected")
            case .received(_, let channel, let bytes): clientEvents.append("got \(channel) \(Array(bytes))")
            }
        }
        let peer = try client.connect(host: "127.0.0.1", port: server.port)
        #expect(drive(loop) { serverPeer != nil && clientEvents == ["connected"] })
        try client.send([1, 2, 3], to: peer, channel: ENetEndpoint.controlChannel, reliable: true)
        client.flush()
        #expect(drive(loop) { serverEvents.contains("got 0 [1, 2, 3]") })
        #expect(batchesEnded >= 1, "afterEvents runs after a service pass that delivered events")
        try server.send([9], to: serverPeer!, channel: ENetEndpoint.streamChannel, reliable: false)
        server.flush()
        #expect(drive(loop) { clientEvents.contains("got 1 [9]") })
        client.disconnect(peer)
        client.flush()
        #expect(drive(loop) { serverEvents.last == "disconnected" })
        client.close()
        server.close()
    }

    @Test func badHostIsATypedError() throws {
        let loop = try EventLoop()
        let client = try ENetEndpoint(loop: loop, bind: nil, maxPeers: 1)
        defer { client.close() }
        #expect(throws: ENetError.self) { _ = try client.connect(host: "not a host name", port: 1) }
    }
}
