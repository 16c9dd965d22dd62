import KKPhysics
import KKShardCore
import KKTestSupport
import Testing

@Suite struct SnapshotTests {
    static func snapshot() -> MatchSnapshot {
        var sim = MatchSimulation(track: try! TrackCatalog.track(named: "oval"), playerCount: 4, seed: 3)
        for _ in 0..<300 { sim.step(inputs: [KartInput](repeating: KartInput(buttons: 1, steer: 9), count: 4)) }
        return MatchSnapshot(epoch: 7, players: [11, nil, 13, 14], lastAppliedSeq: [100, 0, 90, 95], state: sim.state)
    }

    @Test func roundTrip() throws {
        let s = Self.snapshot()
        #expect(try MatchSnapshot(decoding: s.encoded()) == s)
    }

    @Test func hashMismatchIsRefused() {
        var b = Self.snapshot().encoded()
        b[b.count - 1] ^= 0x01  // state bytes changed, header hash not
        #expect(throws: MatchSnapshot.SnapshotError.self) { try MatchSnapshot(decoding: b) }
    }

    /// 100k seeded mutations: an error or a snapshot, never a trap.
    @Test func decoderSurvivesMutation() {
        let good = Self.snapshot().encoded()
        var rng = SplitMix64(seed: 0x5AA9)
        var wronglyAccepted = 0
        for _ in 0..<100_000 {
            let m = Mutator.mutate(good, rng: &rng, maxLength: 1024)
            if (try? MatchSnapshot(decoding: m)) != nil, m != good { wronglyAccepted += 1 }
        }
        #expect(wronglyAccepted == 0)
    }
}
