import Foundation
@testable import KKFuzz
import KKPhysics
import KKTestSupport
import KKWire
import Testing

/// The fuzz targets as regression tests: the committed corpora (Tests/Fuzz/corpus/<target>/)
/// and crash reproducers (Tests/Fuzz/regressions/<target>/) replay with no violation, the seeds
/// reach each decoder's accepting path, and seeded mutations of them hold every property.
@Suite struct FuzzCorpusTests {
    static let root = SystemTest.packageRoot.appendingPathComponent("Tests/Fuzz")

    static func files(_ dir: String, _ target: String) -> [URL] {
        let url = root.appendingPathComponent(dir).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().map { url.appendingPathComponent($0) }
    }

    @Test func everyTargetHasItsSeedsCommitted() throws {
        #expect(FuzzTargets.all.count == 13)
        for t in FuzzTargets.all {
            let committed = Set(try Self.files("corpus", t.name).map { try Data(contentsOf: $0) })
            let missing = t.seeds().filter { !committed.contains(Data($0)) }.count
            #expect(missing == 0, "\(t.name): \(missing) encoder seeds not in Tests/Fuzz/corpus (run kk-fuzz seed Tests/Fuzz/corpus)")
            for f in t.seedFiles {
                let d = try Data(contentsOf: SystemTest.packageRoot.appendingPathComponent(f))
                #expect(committed.contains(d), "\(t.name): \(f) changed since the corpus was seeded")
            }
        }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusAndReproducersReplay(target: String) throws {
        let t = try #require(FuzzTargets.named(target))
        var accepted = 0, total = 0
        for f in Self.files("corpus", target) + Self.files("regressions", target) {
            let bytes = [UInt8](try Data(contentsOf: f))
            do {
                if try t.run(bytes) == .accepted { accepted += 1 }
            } catch {
                Issue.record("\(f.lastPathComponent): \(error)")
            }
            total += 1
        }
        #expect(total > 0)
        #expect(accepted > 0, "no input of \(target)'s corpus reaches the decoder's accepting path")
    }

    /// 3,000 seeded mutations per target (deterministic): no trap, no violated property.
    @Test(arguments: FuzzTargets.all.map(\.name))
    func mutatedSeedsHoldTheProperties(target: String) throws {
        let t = try #require(FuzzTargets.named(target))
        let seeds = t.seeds()
        try #require(!seeds.isEmpty)
        var rng = SplitMix64(seed: 0xF022)
        var accepted = 0
        for i in 0..<3_000 {
            let m = Mutator.mutate(seeds[i % seeds.count], rng: &rng, maxLength: 4096)
            do {
                if try t.run(m) == .accepted { accepted += 1 }
            } catch {
                Issue.record("\(error) for \(Hex.string(m))")
                return
            }
        }
        // Targets that add the checksum themselves let mutations through to the decoders.
        if ["client-packet", "relay-packet", "shard-packet", "cluster-event", "input-log"].contains(target) {
            #expect(accepted > 0)
        }
    }

    /// The round-trip property can fail: a packet whose encoder drops a field is caught.
    @Test func aBrokenEncoderIsAViolation() {
        #expect(throws: FuzzViolation.self) { try PacketTargets.roundTrips(LossyPacket(a: 1, b: 2), "test") }
        #expect(throws: Never.self) { try PacketTargets.roundTrips(LossyPacket(a: 1, b: 0), "test") }
    }
}

/// Decodes two fields, encodes only the first: not its own inverse unless `b` is 0.
private struct LossyPacket: WirePacket, Equatable {
    static let type = PacketType.ping
    var a: UInt32, b: UInt32
    init(a: UInt32, b: UInt32) { self.a = a; self.b = b }
    func encodeBody(into w: inout WireWriter) throws(WireError) { try w.writeUInt32(a); try w.writeUInt32(0) }
    init(body r: inout WireReader) throws(WireError) { a = try r.readUInt32(); b = try r.readUInt32() }
}
