import KKTestSupport
import KKWire
import Testing

/// Seeded random mutation of valid packets through every decoder: no input may trap, and
/// whatever decodes must re-encode to a packet that decodes to the same value.
@Suite struct FuzzTests {
    static let iterations = 100_000

    @Test func clientDecoderSurvivesMutation() throws {
        var rng = SplitMix64(seed: 0xC11E47)
        let seeds = try Samples.all().map(\.1)
        var accepted = 0
        for i in 0..<Self.iterations {
            var b = Mutator.mutate(seeds[i % seeds.count], rng: &rng)
            // Half the time, repair the checksum so the body parsers see the mutation.
            if Bool.random(using: &rng), b.count >= 10 { b = BadInputTests().resealed(b) }
            b.withUnsafeBytes { raw in
                if let m = try? ClientToRelay.decode(raw) {
                    accepted += 1
                    switch m {
                    case .input(let p): #expect((try? p.encoded().decodePacket(InputPacket.self)) == p)
                    case .hello(let p): #expect((try? p.encoded().decodePacket(HelloPacket.self)) == p)
                    case .ping(let p): #expect((try? p.encoded().decodePacket(PingPacket.self)) == p)
                    case .disconnect(let p): #expect((try? p.encoded().decodePacket(DisconnectPacket.self)) == p)
                    }
                }
                _ = try? RelayToClient.decode(raw)
            }
        }
        #expect(accepted > 0)
    }

    @Test func shardDecoderSurvivesMutation() throws {
        var rng = SplitMix64(seed: 0x54A2D)
        let seeds = try Samples.all().map(\.1)
        for i in 0..<Self.iterations {
            var b = Mutator.mutate(seeds[i % seeds.count], rng: &rng)
            if Bool.random(using: &rng), b.count >= 10 { b = BadInputTests().resealed(b) }
            b.withUnsafeBytes { raw in
                if let m = try? ShardMessage.decode(raw) {
                    if case .inputBatch(let v) = m { #expect((try? v.all())?.count == v.count) }
                    if case .matchFrame(let f) = m { #expect(f.payload.upperBound <= raw.count) }
                }
            }
        }
    }

    @Test func randomBytesNeverDecodeAsValid() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<Self.iterations / 4 {
            let n = Int.random(in: 0...64, using: &rng)
            let b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            b.withUnsafeBytes { raw in
                // Without the protocol id and a matching CRC nothing random gets through.
                #expect((try? ClientToRelay.decode(raw)) == nil)
            }
        }
    }
}
