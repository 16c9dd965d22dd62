import KKDelta
import KKPhysics
import KKTestSupport
import XCTest

/// Seeded mutation of real delta and full payloads: 100k inputs through the decoder; every
/// one is an error or a state, never a trap.
final class DeltaFuzzTests: XCTestCase {
    func testDecoderSurvivesMutation() {
        let states = DeltaCodecTests.raceStates
        var seeds: [([UInt8], MatchState?)] = []
        for t in stride(from: 200, to: 2400, by: 300) {
            var full: [UInt8] = []
            DeltaCodec.encode(states[t], baseline: nil, into: &full)
            var delta: [UInt8] = []
            DeltaCodec.encode(states[t], baseline: states[t - 6], into: &delta)
            seeds.append((full, nil))
            seeds.append((delta, states[t - 6]))
        }
        var rng = SplitMix64(seed: 0xDE17A)
        var decoded = 0
        for i in 0..<100_000 {
            let (bytes, baseline) = seeds[i % seeds.count]
            let m = Mutator.mutate(bytes, rng: &rng, maxLength: 2048)
            if (try? DeltaCodec.decode(m, baseline: baseline)) != nil, m != bytes { decoded += 1 }
        }
        // A corrupted payload never decodes: the codec's CRC catches it.
        XCTAssertEqual(decoded, 0)
    }
}
