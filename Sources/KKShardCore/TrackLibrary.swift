import KKPhysics

/// The tracks a shard has, by content hash: what it can host when an allocation pins a track's
/// exact version (``TrackRef`` with a hash). Built by the I/O layer from the built-in tracks and
/// any track files it was given (hashing is not this module's business).
public struct TrackLibrary: Sendable {
    /// Parsed tracks by the SHA-256 of their bytes.
    public private(set) var byHash: [String: Track] = [:]
    /// For each name, the hash added last (name-only references resolve to it).
    public private(set) var latestByName: [String: String] = [:]

    public init() {}

    /// Adds a track whose bytes hash to `sha256` (lower-case hex).
    public mutating func add(sha256: String, track: Track) {
        byHash[sha256.lowercased()] = track
        latestByName[track.name] = sha256.lowercased()
    }

    /// Every hash this library holds, sorted.
    public var hashes: [String] { byHash.keys.sorted() }

    /// The track `ref` names: by hash (and then its name must match) when it has one, else the
    /// latest of that name. Nil when this library does not have it.
    public func resolve(_ ref: TrackRef) -> Track? {
        if let h = ref.sha256 {
            guard let t = byHash[h], t.name == ref.name else { return nil }
            return t
        }
        return latestByName[ref.name].flatMap { byHash[$0] }
    }
}
