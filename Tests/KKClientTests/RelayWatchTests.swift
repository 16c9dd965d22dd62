import KKClient
import KKPhysics
import Testing

/// The relay watch: the silence allowed grows with the measured loss, RTT and jitter; under
/// plain loss (15%, 25%) with no relay dying, a simulated half hour of frames and pings never
/// declares the relay dead; a dead relay is declared dead within a second at the RTTs a racer
/// has; a live relay whose match went quiet (frames stop, pings still answered) is never left.
@Suite struct RelayWatchTests {
    @Test func theSilenceAllowedFollowsLossRttAndJitter() {
        var w = RelayWatch()
        var expected = 0, received = 0
        func feed(_ e: Int, _ r: Int) { expected += e; received += r; w.observe(framesExpected: expected, framesReceived: received) }
        let quiet = w.timeoutMillis(frameIntervalMillis: 50, rttMillis: 30, jitterMillis: 5)
        #expect(w.framesInARow == 6 && quiet == 6 * 50 + 30 + 20)
        for _ in 0..<10 { feed(100, 75) }
        #expect(abs(w.loss - 0.25) < 0.01)
        let lossy = w.timeoutMillis(frameIntervalMillis: 50, rttMillis: 30, jitterMillis: 5)
        #expect(w.framesInARow == 15 && lossy == 15 * 50 + 50)
        #expect(w.timeoutMillis(frameIntervalMillis: 5, rttMillis: 0, jitterMillis: 0) == 250, "floor")
        #expect(w.timeoutMillis(frameIntervalMillis: 500, rttMillis: 0, jitterMillis: 0) == 3_000, "ceiling")
        // Loss going down is believed slowly, going up fast.
        feed(100, 100)
        #expect(w.loss > 0.2)
        feed(3, 0)
        #expect(w.loss > 0.2 && w.loss < 0.25, "three frames are too few to say anything")
    }

    /// A client's view in virtual time: frames every 50 ms and pongs (pings each second, probes
    /// when silent), each datagram lost with probability `loss` (seeded), RTT 30 ms. Returns the
    /// times the relay was declared dead and, if `deathAt` is set, when it was after it.
    func simulate(loss: Double, seconds: Int, deathAt: Int? = nil, framesStopAt: Int? = nil, seed: UInt64) -> (falseAlarms: Int, detectedAfter: Int?) {
        var rng = SplitMix64(seed: seed)
        func lost() -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < loss }
        var w = RelayWatch()
        var lastHeard = 0, lastProbe = 0, nextPing = 0, expected = 0, received = 0
        var pongsDue: [Int] = []
        var falseAlarms = 0
        for now in 0..<(seconds * 1000) {
            let alive = deathAt.map { now < $0 } ?? true
            let frames = framesStopAt.map { now < $0 } ?? true
            if now % 50 == 0 && alive && frames {
                expected += 1
                if !lost() { received += 1; lastHeard = now }
            }
            pongsDue.removeAll { t in
                guard t == now else { return false }
                if alive { lastHeard = now }
                return true
            }
            if now % 1000 == 0 { w.observe(framesExpected: expected, framesReceived: received) }
            let timeout = w.timeoutMillis(frameIntervalMillis: 50, rttMillis: 30, jitterMillis: 5)
            let silent = Double(now - lastHeard)
            if silent > timeout {
                if let d = deathAt, now >= d { return (falseAlarms, now - d) }
                falseAlarms += 1
                lastHeard = now  // as if resumed elsewhere
            } else {
                var ping = now >= nextPing
                if w.shouldProbe(silentMillis: silent, sinceProbeMillis: Double(now - lastProbe), timeoutMillis: timeout) { ping = true; lastProbe = now }
                if ping {
                    if now >= nextPing { nextPing = now + 1000 }
                    if !lost() && !lost() { pongsDue.append(now + 30) }  // ping and pong both arrive
                }
            }
        }
        return (falseAlarms, nil)
    }

    @Test(arguments: [(0.15, UInt64(1)), (0.25, UInt64(2)), (0.15, UInt64(3)), (0.25, UInt64(4))])
    func plainLossNeverLeavesALiveRelay(loss: Double, seed: UInt64) {
        let r = simulate(loss: loss, seconds: 1_800, seed: seed)
        print("FIGURE relay-watch false switches at \(Int(loss * 100))% loss over 30 simulated minutes: \(r.falseAlarms)")
        #expect(r.falseAlarms == 0)
    }

    @Test(arguments: [0.0, 0.05, 0.15, 0.25])
    func aDeadRelayIsDeclaredDeadWithinASecondOrSo(loss: Double) {
        let r = simulate(loss: loss, seconds: 200, deathAt: 120_000, seed: 9)
        let after = r.detectedAfter ?? -1
        print("FIGURE relay-watch detects a dead relay at \(Int(loss * 100))% loss after \(after) ms")
        #expect(r.falseAlarms == 0)
        #expect(after > 0 && after <= (loss >= 0.25 ? 1_000 : 700), "\(after) ms")
    }

    @Test func aLiveRelayWhoseMatchWentQuietIsKeptByItsPongs() {
        // The shard stalls (adoption): frames stop for 5 s, the relay still answers pings.
        let r = simulate(loss: 0.05, seconds: 60, framesStopAt: 30_000, seed: 5)
        #expect(r.falseAlarms == 0)
    }
}

