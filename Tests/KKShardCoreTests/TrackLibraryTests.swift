import KKPhysics
import KKShardCore
import Testing

/// A shard hosts a pinned track version only when it has exactly those bytes (by hash).
struct TrackLibraryTests {
    let ovalHash = String(repeating: "a", count: 64)
    let otherHash = String(repeating: "b", count: 64)

    func library() throws -> TrackLibrary {
        var lib = TrackLibrary()
        lib.add(sha256: ovalHash, track: try TrackCatalog.track(named: "oval"))
        lib.add(sha256: String(repeating: "c", count: 64), track: try TrackCatalog.track(named: "canyon"))
        return lib
    }

    @Test func trackReferencesParse() {
        #expect(TrackRef(parsing: "oval") == TrackRef(name: "oval"))
        #expect(TrackRef(parsing: "oval@" + ovalHash.uppercased()) == TrackRef(name: "oval", sha256: ovalHash))
        #expect(TrackRef(parsing: "oval@" + ovalHash)?.description == "oval@" + ovalHash)
        #expect(TrackRef(parsing: "") == nil)
        #expect(TrackRef(parsing: "oval@123") == nil, "a short hash")
        #expect(TrackRef(parsing: "oval@" + String(repeating: "z", count: 64)) == nil, "not hex")
        #expect(TrackRef(parsing: "@" + ovalHash) == nil, "no name")
    }

    @Test func aPinnedVersionTheShardLacksIsRefusedAndCounted() throws {
        var config = ShardConfig()
        config.maxMatches = 8
        let core = ShardCore(config: config, library: try library())
        let m = try core.createMatch(id: 1, seed: 1, track: "oval@" + ovalHash)
        #expect(m.simulation.track.name == "oval")
        #expect(throws: ShardError.trackMissing("oval@" + otherHash)) { try core.createMatch(id: 2, seed: 2, track: "oval@" + otherHash) }
        // The hash of another track under this name: refused too.
        #expect(throws: ShardError.trackMissing("oval@" + String(repeating: "c", count: 64))) {
            try core.createMatch(id: 3, seed: 3, track: "oval@" + String(repeating: "c", count: 64))
        }
        #expect(throws: ShardError.trackMissing("oval@123")) { try core.createMatch(id: 4, seed: 4, track: "oval@123") }
        #expect(core.counters.matchesRefused == 3 && core.matches.count == 1)
        // Adoption obeys the same rule.
        let state = m.simulation.state
        #expect(throws: ShardError.trackMissing("oval@" + otherHash)) {
            try core.adoptMatch(id: 5, state: state, players: [], lastAppliedSeq: [], track: "oval@" + otherHash)
        }
        // A name alone still resolves (older allocators, kk-match's default).
        #expect(try core.createMatch(id: 6, seed: 6, track: "canyon").simulation.track.name == "canyon")
        #expect(try core.createMatch(id: 7, seed: 7, track: "sprint").simulation.track.name == "sprint")
    }
}
