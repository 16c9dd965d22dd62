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
}
