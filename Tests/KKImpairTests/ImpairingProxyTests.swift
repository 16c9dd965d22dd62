import KKImpair
import KKLoad
import KKLoop
import KKTestSupport
import Testing

/// The impairing proxy between real UDP sockets on loopback: what it drops is never delivered,
/// what it delivers is delayed by at least the configured latency, bursts are counted.
@Suite struct ImpairingProxyTests {
    @Test func dropsDelaysAndCountsOnARealPath() throws {
        let loop = try EventLoop()
        // An echo "relay".
        let relay = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!)
        let relayPoll = try LoopPoll(loop: loop, fd: relay.fd)
        relayPoll.start(.readable) { _ in
            _ = relay.receive { bytes, from in _ = relay.send(bytes, to: from) }
            _ = relay.flush()
        }
        var up = ImpairmentProfile(latencyMillis: 20, loss: 0.3)
        up.burst = BurstLoss(enterBad: 0.05, exitBad: 0.3)
        let proxy = ImpairingProxy(loop: loop, impairment: LinkImpairment(up: up, down: ImpairmentProfile(), seed: 4), seed: 4)
        let front = PeerAddress(try proxy.frontAddress(for: relay.localAddress.description))!
        let client = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!)
        let clientPoll = try LoopPoll(loop: loop, fd: client.fd)
        var sentAt: [UInt32: UInt64] = [:]
        var earliest = UInt64.max
        var received = 0
        clientPoll.start(.readable) { _ in
            _ = client.receive { bytes, _ in
                let n = bytes.loadUnaligned(as: UInt32.self)
                if let t = sentAt[n] { earliest = min(earliest, loop.nowMillis - t) }
                received += 1
            }
        }
        loop.updateTime()
        for i in 0..<400 as Range<UInt32> {
            sentAt[i] = loop.nowMillis
            withUnsafeBytes(of: i) { _ = client.send($0, to: front) }
            if i % 16 == 15 { _ = client.flush() }
        }
        _ = client.flush()
        #expect(drive(loop) { proxy.dropped > 0 && received + proxy.dropped >= 400 })
        #expect(received + proxy.dropped == 400, "every datagram was delivered once or dropped")
        #expect(proxy.dropped > 400 / 10 && proxy.dropped < 400 * 7 / 10, "\(proxy.dropped) dropped")
        #expect(proxy.burstDropped > 0 && proxy.burstDropped < proxy.dropped)
        #expect(earliest >= 19, "nothing overtakes the configured latency (\(earliest) ms)")
        proxy.close()
        clientPoll.stop(); clientPoll.close(); relayPoll.stop(); relayPoll.close()
    }

    /// A client that moved on (a new address each time, as after a relay change) does not keep
    /// an upstream socket per address it ever had: silent sessions close and their slots are
    /// used again.
    @Test func silentClientSessionsCloseAndTheirSlotsAreUsedAgain() throws {
        let loop = try EventLoop()
        let relay = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!)
        let proxy = ImpairingProxy(loop: loop, impairment: LinkImpairment(up: ImpairmentProfile(), down: ImpairmentProfile(), seed: 1), seed: 1)
        proxy.idleExpiryMicros = 50_000
        let front = PeerAddress(try proxy.frontAddress(for: relay.localAddress.description))!
        var clients: [BatchedUDPSocket] = []
        for _ in 0..<3 {
            let c = try BatchedUDPSocket(bind: PeerAddress(host: "127.0.0.1", port: 0)!)
            clients.append(c)
            _ = withUnsafeBytes(of: UInt32(7)) { c.send($0, to: front) }
            _ = c.flush()
            #expect(drive(loop, timeoutMillis: 2_000) { proxy.bytesUp > 0 && proxy.openSessions >= 1 })
            // Silent past the expiry and the once-a-second sweep: the next client's datagram sweeps.
            _ = drive(loop, timeoutMillis: 1_100) { false }
        }
        _ = drive(loop, timeoutMillis: 200) { false }
        #expect(proxy.openSessions <= 2, "\(proxy.openSessions) sessions open for 3 clients that came one after another")
        proxy.close()
    }
}
