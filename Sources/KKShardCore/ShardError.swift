/// Why the shard core refused to host a match.
public enum ShardError: Error, Equatable, Sendable {
    /// `maxMatches` matches run already.
    case atCapacity
    /// The configured track is not a built-in one.
    case badTrack(String)
}
