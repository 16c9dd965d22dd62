import Glibc
import KKClientTransport
import KKDTLS
import KKLoop
import KKTestSupport
import KKToken
import Testing

/// The client's DTLS transport over a real UDP socket.
@Suite struct TransportTests {
    /// Nobody answers on the port: the ClientHello is retransmitted on the DTLS timer (the SDK
    /// gives up after its own deadline); nothing can be sent before the handshake; close() ends it.
    @Test func silentRelayIsRetriedAndNothingIsSentBeforeTheHandshake() throws {
        let loop = try EventLoop()
        // A bound UDP socket that never reads: the relay "exists" but stays silent.
        let silent = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!, batch: 4)
        let token = try TokenIssuer(key: TokenKey.random()).issue(playerId: 1, matchId: 1, now: UInt64(time(nil)), validSeconds: 60,
                                                                  relays: ["127.0.0.1:\(silent.localAddress.port)"])
        let t = try DTLSClientTransport(loop: loop, relay: silent.localAddress, token: token, context: DTLSClientContext())
        var states: [DTLSClientTransport.State] = []
        t.onState = { states.append($0) }
        #expect(drive(loop, timeoutMillis: 15_000) { t.datagramsSent >= 3 }, "the ClientHello was not retransmitted")
        #expect(t.state == .handshaking && states.isEmpty)
        #expect(t.send([1, 2, 3]) == false)
        t.close()
        #expect(t.state == .closed)
        #expect(DTLSClientTransport.describe(.timeout).contains("did not answer"))
        #expect(DTLSClientTransport.describe(.alertReceived(115)).contains("refused the ticket"))
    }

    /// A closed transport lets its socket go: a client that changes relays many times holds one
    /// descriptor, not one per relay (the soak counts them).
    @Test func closedTransportReleasesItsSocket() throws {
        let loop = try EventLoop()
        let silent = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!, batch: 4)
        let token = try TokenIssuer(key: TokenKey.random()).issue(playerId: 1, matchId: 1, now: UInt64(time(nil)), validSeconds: 60,
                                                                  relays: ["127.0.0.1:\(silent.localAddress.port)"])
        var fds: [Int32] = []
        for _ in 0..<3 {
            var t: DTLSClientTransport? = try DTLSClientTransport(loop: loop, relay: silent.localAddress, token: token, context: DTLSClientContext())
            t!.onState = { _ in }
            fds.append(t!.socketDescriptor)
            _ = drive(loop, timeoutMillis: 100) { false }
            t!.close()
            t = nil
            _ = drive(loop, timeoutMillis: 50) { false }
        }
        // The kernel hands the lowest free descriptor out again: one socket at a time.
        #expect(Set(fds).count == 1, "descriptors \(fds)")
        #expect(fcntl(fds[0], F_GETFD) == -1)
    }
}
