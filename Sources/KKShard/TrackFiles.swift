import Foundation
import KKAssetsCore
import KKPhysics
import KKShardCore

/// Builds a shard's ``TrackLibrary``: the built-in tracks, then every `*.track` file of a
/// directory (the same files kk-assets publishes as bundles, so their hashes are the bundles'
/// names). A file that does not parse is a configuration error, named with its path.
public enum TrackFiles {
    /// SHA-256 (lower-case hex) of a track's bytes: its bundle's name (the same hash kk-assets
    /// names the bundle by).
    public static func sha256(_ bytes: some DataProtocol) -> String { SigV4.sha256Hex(bytes) }

    /// The built-in tracks, plus the files of `directory` when given.
    public static func library(directory: String?) throws(ShardServerError) -> TrackLibrary {
        var lib = TrackLibrary()
        for name in TrackCatalog.names {
            guard let source = try? TrackCatalog.source(named: name), let t = try? TrackParser.parse(source) else { continue }
            lib.add(sha256: sha256(Array(source.utf8)), track: t)
        }
        guard let directory else { return lib }
        let files: [String]
        do { files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".track") }.sorted() } catch {
            throw .badConfig(["tracksDir \(directory): \(error.localizedDescription)"])
        }
        for f in files {
            let path = directory + "/" + f
            guard let data = FileManager.default.contents(atPath: path) else { throw .badConfig(["track file \(path): unreadable"]) }
            do throws(PhysicsError) { lib.add(sha256: sha256(data), track: try TrackParser.parse(String(decoding: data, as: UTF8.self))) } catch {
                throw .badConfig(["track file \(path): \(error)"])
            }
        }
        return lib
    }
}
