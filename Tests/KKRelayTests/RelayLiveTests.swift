import Glibc
import KKDTLS
import KKLoop
import KKRelay
import KKRelayCore
import KKTestSupport
import KKToken
import KKWire
import Testing

/// Real sockets on loopback, real OpenSSL DTLS, real ENet, real redis-server.
@Suite(.serialized) struct RelayLiveTests {
    @Test func handshakeJoinInputsAndFramesEndToEnd() throws {
        let s = try LiveStack()
        let relay = try s.addRelay()
        s.allocate(match: 42)
        let c = try s.client(player: 7, match: 42, relay: relay)
        #expect(drive(s.loop) { c.transport.state == .established })
        c.send(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(drive(s.loop) { c.welcome != nil })
        #expect(c.welcome?.playerId == 7 && c.welcome?.matchId == 42)
        #expect(c.welcome.map { !$0.resumeTicket.isEmpty } == true)
        // Inputs for ticks ahead of the shard; they reach the match at their tick.
        let start = (c.welcome?.serverTick ?? 0) + 10
        for k in 0..<10 {
            let seq = UInt32(3 * k + 3)
            let inputs = (0..<3).map { _ in InputSample(buttons: 1, steer: 0) }
            c.send(InputPacket(seq: seq, tick: start + seq, ackFrameTick: c.lastFrameTick, newestFirst: inputs))
        }
        #expect(drive(s.loop) { s.shard.core.counters.inputsApplied >= 30 })
        #expect(drive(s.loop) { (s.shard.core.matches[42]?.lastAppliedSeq.first ?? 0) >= 30 })
        #expect(drive(s.loop) { c.frames >= 5 })
        #expect(relay.counters.framesDelta + relay.counters.framesFull >= 5)
        #expect(relay.counters.handshakesOK == 1)
    }

    @Test func badTokensAreRefusedInTheHandshake() throws {
        let s = try LiveStack()
        let relay = try s.addRelay()
        s.allocate(match: 43)
        // Expired token.
        let expired = try s.issuer.issue(playerId: 1, matchId: 43, now: 1_000, validSeconds: 10, relays: [])
        let c1 = try TestClient(loop: s.loop, relayPort: relay.port, token: expired)
        #expect(drive(s.loop) { if case .failed = c1.transport.state { return true } else { return false } })
        // A token sealed with a key the relay does not hold.
        let other = try TokenIssuer(key: TokenKey.random())
        let forged = try other.issue(playerId: 2, matchId: 43, now: UInt64(time(nil)), validSeconds: 60, relays: [])
        let c2 = try TestClient(loop: s.loop, relayPort: relay.port, token: forged)
        #expect(drive(s.loop) { if case .failed = c2.transport.state { return true } else { return false } })
        // Each refusal is counted under its own reason.
        #expect(relay.counters.drops(.tokenExpired) == 1)
        #expect(relay.counters.drops(.tokenUnknownKey) + relay.counters.drops(.tokenAuthenticationFailed) == 1)
        #expect(relay.sessionCount == 0)
        // A good client still plays.
        let good = try s.client(player: 3, match: 43, relay: relay)
        #expect(drive(s.loop) { good.transport.state == .established })
    }

    @Test func garbageAndSpoofedHellosKeepNoState() throws {
        let s = try LiveStack()
        let relay = try s.addRelay()
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sock) }
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = relay.port.bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        var rng = SplitMix64(seed: 9)
        for i in 0..<500 {
            var b = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 2 == 0, b.count > 30 {
                // Looks like a DTLS 1.2 ClientHello record without a cookie.
                b[0] = 22; b[1] = 0xFE; b[2] = 0xFD
            }
            _ = withUnsafePointer(to: &to) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(sock, b, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        #expect(drive(s.loop) { relay.counters.datagramsIn >= 500 })
        #expect(relay.sessionCount == 0 && relay.handshakesInProgress == 0)
        let gateDrops = RelayDropReason.allCases.filter { $0.label.hasPrefix("gate_") }.map { relay.counters.drops($0) }
        #expect(gateDrops.reduce(0, +) > 0 && relay.counters.drops(.gateTooShort) + relay.counters.drops(.gateNotHandshake) > 0)
    }

    /// A playing client that floods (far above its address's datagram budget) gets counted
    /// `rate_limited` drops; a second client of the same match keeps getting its frames and
    /// the flooder's session stays usable once it slows down.
    @Test func packetFloodFromOneAddressIsRateLimitedOthersKeepPlaying() throws {
        let s = try LiveStack()
        var cfg = try s.relayConfig()
        cfg.packetsPerSecondPerAddress = 100
        let relay = try s.addRelay(cfg)
        s.allocate(match: 45)
        let flooder = try s.client(player: 1, match: 45, relay: relay)
        let calm = try s.client(player: 2, match: 45, relay: relay)
        #expect(drive(s.loop) { flooder.transport.state == .established && calm.transport.state == .established })
        flooder.send(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        calm.send(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(drive(s.loop) { flooder.welcome != nil && calm.welcome != nil })
        let tick = (flooder.welcome?.serverTick ?? 0) + 10
        // 1,000 packets as fast as the relay reads them: the bucket holds one second's worth
        // (100). Sent in bursts of 100, each read before the next, so that no socket buffer
        // size (Debian's default rmem_max is 208 KiB) drops any of them before the relay does.
        let inBefore = relay.counters.datagramsIn
        for burst in 0..<10 {
            for k in burst * 100..<(burst + 1) * 100 {
                let seq = UInt32(k + 1)
                flooder.send(InputPacket(seq: seq, tick: tick + seq, ackFrameTick: 0, newestFirst: [InputSample(buttons: 1, steer: 0)]))
            }
            #expect(drive(s.loop) { relay.counters.datagramsIn >= inBefore + (burst + 1) * 100 })
        }
        // The burst (100, less the handful of handshake and Hello datagrams that came out of it)
        // passes, plus what refills while the relay reads (at most 100 per second of loop time).
        #expect(drive(s.loop) { relay.counters.drops(.rateLimited) >= 800 })
        #expect(relay.counters.drops(.rateLimited) <= 910, "\(relay.counters.drops(.rateLimited)) dropped")
        let framesBefore = calm.frames
        #expect(drive(s.loop) { calm.frames > framesBefore + 5 })
        #expect(relay.sessionCount == 2)
    }

    /// Sixty-odd datagram shapes forged from a playing client's own address and port (its own
    /// socket sends them): each is dropped and counted by reason before OpenSSL sees it or fails
    /// to authenticate there; the relay never answers one with an alert, and the session keeps
    /// playing (inputs applied, frames arriving).
    @Test func forgedDatagramsFromAPlayersAddressNeverEndItsSession() throws {
        let s = try LiveStack()
        let relay = try s.addRelay()
        s.allocate(match: 46)
        let c = try s.client(player: 5, match: 46, relay: relay)
        #expect(drive(s.loop) { c.transport.state == .established })
        c.send(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(drive(s.loop) { c.welcome != nil })
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = relay.port.bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        var expected: [String: Int] = [:]
        var seq: UInt32 = 1
        for round in 0..<3 {
            let forgeries = ForgedDTLS.datagrams(seed: 100 + UInt64(round))
            let before = relay.counters.datagramsIn
            for f in forgeries {
                // A datagram longer than the receive buffer arrives cut (its record runs past the end).
                let labels = f.bytes.count > Limits.datagramBufferBytes ? ["truncated"] : f.expected
                if !f.isRandom { for label in labels { expected["record_" + label, default: 0] += 1 } }
                let sent = withUnsafePointer(to: &to) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(c.transport.socketDescriptor, f.bytes, f.bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                #expect(sent == f.bytes.count)
            }
            #expect(drive(s.loop) { relay.counters.datagramsIn >= before + forgeries.count })
            // Still playing: inputs reach the shard, frames reach the client.
            let applied = s.shard.core.counters.inputsApplied
            let tick = (s.shard.core.matches[46]?.tick ?? 0) + 10
            for _ in 0..<3 {
                c.send(InputPacket(seq: seq, tick: tick + seq, ackFrameTick: c.lastFrameTick, newestFirst: [InputSample(buttons: 1, steer: 0)]))
                seq += 1
            }
            #expect(drive(s.loop) { s.shard.core.counters.inputsApplied >= applied + 3 }, "round \(round)")
            let frames = c.frames
            #expect(drive(s.loop) { c.frames > frames + 2 }, "round \(round)")
            #expect(c.transport.state == .established && c.disconnect == nil, "round \(round)")
            #expect(relay.sessionCount == 1)
        }
        for (label, count) in expected {
            let reason = try #require(RelayDropReason.allCases.first { $0.label == label }, "\(label)")
            #expect(relay.counters.drops(reason) >= count, "\(label)")
        }
        #expect(relay.counters.drops(.dtlsProtocolError) == 0 && relay.counters.drops(.dtlsFailed) == 0)
        #expect(relay.counters.drops(.rateLimited) == 0, "the forgeries stayed within the address's budget")
    }

    @Test func sessionLimitAndDrainKeepsSessionsUntilDeadline() throws {
        let s = try LiveStack()
        var cfg = try s.relayConfig()
        cfg.maxSessions = 1
        cfg.drainDeadlineMillis = 2500
        let relay = try s.addRelay(cfg)
        s.allocate(match: 44)
        let a = try s.client(player: 1, match: 44, relay: relay)
        #expect(drive(s.loop) { a.transport.state == .established })
        let b = try s.client(player: 2, match: 44, relay: relay)
        #expect(drive(s.loop, timeoutMillis: 800) { b.transport.state == .established } == false)
        #expect(relay.counters.drops(.sessionLimit) >= 1)
        a.send(HelloPacket(mode: .join, lastFrameTick: 0, nextInputSeq: 1))
        #expect(drive(s.loop) { a.welcome != nil })
        var drained = false
        relay.onDrained = { drained = true }
        relay.drain()
        // Still playing during the drain: frames keep coming.
        let before = a.frames
        #expect(drive(s.loop, timeoutMillis: 5000) { a.frames > before + 3 || drained })
        #expect(!drained && a.frames > before + 3, "the drain ended before the session played on")
        #expect(drive(s.loop, timeoutMillis: 10_000) { drained })
    }
}

/// A handshake flood from many (spoofed) loopback source addresses: every real ClientHello
/// without a cookie gets a HelloVerifyRequest no larger than itself, and the relay keeps no
/// state for any of them.
@Suite(.serialized) struct RelayFloodTests {
    @Test func spoofedClientHellosFromManyAddressesKeepNoState() throws {
        let s = try LiveStack()
        let relay = try s.addRelay()
        // A real first flight (ClientHello without cookie) from a real DTLS client.
        let ctx = try DTLSClientContext()
        let token = try s.issuer.issue(playerId: 1, matchId: 1, now: dtlsUnixSeconds(), validSeconds: 60, relays: [])
        let session = try DTLSSession(client: ctx, token: token)
        _ = session.advance()
        var hello = [UInt8](repeating: 0, count: 1500)
        let n = try hello.withUnsafeMutableBytes { try session.drainOutgoing(into: $0) } ?? 0
        #expect(n > 50)
        hello.removeLast(hello.count - n)
        var to = sockaddr_in()
        to.sin_family = sa_family_t(AF_INET)
        to.sin_port = relay.port.bigEndian
        to.sin_addr.s_addr = inet_addr("127.0.0.1")
        var largestReply = 0
        for i in 0..<200 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            var from = sockaddr_in()
            from.sin_family = sa_family_t(AF_INET)
            from.sin_addr.s_addr = inet_addr("127.1.\(i / 250).\(1 + i % 250)")
            _ = withUnsafePointer(to: &from) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            _ = withUnsafePointer(to: &to) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, hello, hello.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(drive(s.loop) { relay.counters.helloVerifyRequests > i })
            var buf = [UInt8](repeating: 0, count: 2048)
            let got = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
            largestReply = max(largestReply, got)
        }
        #expect(relay.counters.helloVerifyRequests == 200)
        #expect(relay.sessionCount == 0 && relay.handshakesInProgress == 0)
        #expect(largestReply > 0 && largestReply <= hello.count)  // no amplification
    }
}
