import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKToken
import Testing

/// The first connection is retried, relay after relay with a growing pause, until the connect
/// bound; then the player is told no relay answered.
@Suite struct ConnectRetryTests {
    @Test func silentRelaysAreRetriedUntilTheBoundThenReported() throws {
        // Two loopback UDP ports that never answer (bound, never read).
        var silent: [Int32] = []
        var ports: [UInt16] = []
        for _ in 0..<2 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            silent.append(fd)
            ports.append(UInt16(bigEndian: a.sin_port))
        }
        defer { silent.forEach { close($0) } }
        let issuer = try TokenIssuer(key: TokenKey.random())
        let token = try issuer.issue(playerId: 1, matchId: 2, now: UInt64(time(nil)), validSeconds: 60,
                                     relays: ports.map { "127.0.0.1:\($0)" })
        let loop = try EventLoop()
        let client = try GameClient(loop: loop, token: token) { _, _ in KartInput.neutral }
        client.handshakeTimeoutMillis = 200
        client.connectTimeoutMillis = 1_500
        var relaysTried: Set<String> = [client.relay]
        let done = LoopTimer(loop: loop)
        let watch = LoopTimer(loop: loop)
        watch.start(afterMillis: 10, repeatMillis: 10) {
            relaysTried.insert(client.relay)
            if case .ended = client.session.state { loop.stop() }
        }
        done.start(afterMillis: 10_000) { loop.stop() }  // bound on the test, not a verdict
        loop.run()
        watch.stop(); watch.close(); done.stop(); done.close()
        #expect(client.session.state == .ended(.relayUnreachable))
        #expect(client.connectAttempts >= 3, "\(client.connectAttempts) attempts")
        #expect(relaysTried.count == 2, "both relays of the token were tried")
        client.stop()
    }
}
