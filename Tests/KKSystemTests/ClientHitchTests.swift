import Glibc
import KKClient
import KKClientSDK
import KKLoop
import KKPhysics
import KKTestSupport
import KKToken
import Testing

/// The client SDK against kk-relay and kk-shard as processes, when the game's own thread
/// stalls: a hitch is not a dead relay.
@Suite(.serialized) struct ClientHitchTests {
    /// The game's thread is held up for a second (a level load, a debugger, a swapped-out
    /// process) while the relay keeps sending. When the loop runs again its timers come before
    /// its sockets: without the held-up rule the first round judged the relay silent (a second
    /// is far over the adaptive bound of a few hundred ms) and switched, with its frames still
    /// queued unread.
    @Test func aHitchOfTheGamesThreadIsNotARelayFailure() throws {
        let s = try StackProcesses("client-hitch")
        try s.shard("s1")
        try s.relay("r1")
        #expect(s.ready("s1") && s.ready("r1"))
        try s.allocate(match: 960, on: "s1", ownerTtlMillis: 60_000)
        let loop = try EventLoop()
        let token = try TokenIssuer(key: s.key).issue(playerId: 1, matchId: 960, now: UInt64(time(nil)), validSeconds: 120,
                                                      relays: ["127.0.0.1:\(s.udpPorts["r1"]!)"])
        let client = try GameClient(loop: loop, token: token, config: ClientConfig()) { _, _ in
            KartInput(buttons: KartInput.accelerate, steer: 0)
        }
        defer { client.stop() }
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.state == .playing && client.session.stats.framesReceived > 20 })
        #expect(client.relayTimeoutMillis == nil)  // the adaptive bound, a few hundred ms
        let frames = client.session.stats.framesReceived
        // The hitch itself: this thread does nothing for a second (the scenario, not a wait).
        usleep(1_000_000)
        #expect(drive(loop, timeoutMillis: 10_000) { client.session.stats.framesReceived > frames + 40 })
        #expect(client.heldUpRounds >= 1)
        #expect(client.failovers.isEmpty, "switched for \(client.failovers)")
        #expect(client.session.state == .playing)
    }
}
