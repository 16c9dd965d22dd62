/// Why the shard cannot host a match.
public enum ShardError: Error, Equatable, Sendable {
    /// `maxMatches` matches run already.
    case atCapacity
    /// The configured track is not a built-in one.
    case badTrack(String)
    /// The allocation pins a track version (name@sha256) this shard does not have: refused
    /// rather than racing on other geometry than the clients load.
    case trackMissing(String)
}
