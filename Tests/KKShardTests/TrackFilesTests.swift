import Foundation
import KKPhysics
import KKShard
import KKShardCore
import Testing

/// The tracks a shard hashes are the bundles kk-assets publishes: the built-in tracks' bytes are
/// exactly Config/tracks' files, so both name the same SHA-256.
struct TrackFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func builtInTracksHashLikeConfigTracks() throws {
        let dir = Self.root.appendingPathComponent("Config/tracks").path
        let builtIn = try TrackFiles.library(directory: nil)
        let withFiles = try TrackFiles.library(directory: dir)
        #expect(builtIn.hashes.count == TrackCatalog.names.count)
        #expect(withFiles.hashes == builtIn.hashes, "Config/tracks differ from the built-in tracks")
        for name in TrackCatalog.names {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).track"))
            #expect(builtIn.latestByName[name] == TrackFiles.sha256(data))
        }
    }

    @Test func aTrackFileThatDoesNotParseIsAConfigError() throws {
        let dir = NSTemporaryDirectory() + "kk-tracks-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "track broken\nlaps x\n".write(toFile: dir + "/broken.track", atomically: true, encoding: .utf8)
        #expect(throws: ShardServerError.self) { try TrackFiles.library(directory: dir) }
        #expect(throws: ShardServerError.self) { try TrackFiles.library(directory: dir + "/missing") }
    }
}
