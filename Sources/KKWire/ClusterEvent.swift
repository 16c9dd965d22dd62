/// A message on the cluster's event channel (`<prefix>events`, Redis pub/sub): one short text
/// line per event, written and parsed only here. The allocator's Lua script writes `alloc` in
/// the same form.
public enum ClusterEvent: Equatable, Sendable {
    /// The allocator placed a new match on a shard.
    case alloc(matchId: UInt64, shard: String)
    /// A shard took (or adopted) the ownership lease of a match.
    case owner(matchId: UInt64, shard: String)
    /// A match ended and was removed from its shard.
    case over(matchId: UInt64)
    /// A shard registered.
    case join(shard: String)
    /// A shard started draining.
    case drain(shard: String)
    /// A shard deregistered.
    case leave(shard: String)
    /// A player joined (or rejoined) a match on its shard: presence "racing" (the match's
    /// `over` ends it).
    case racing(playerId: UInt64, matchId: UInt64)

    /// The line published on the channel.
    public var text: String {
        switch self {
        case .alloc(let m, let s): "alloc \(m) \(s)"
        case .owner(let m, let s): "owner \(m) \(s)"
        case .over(let m): "over \(m)"
        case .join(let s): "join \(s)"
        case .drain(let s): "drain \(s)"
        case .leave(let s): "leave \(s)"
        case .racing(let p, let m): "racing \(p) \(m)"
        }
    }

    /// Parses one message; nil for anything else (counted by the caller).
    public init?(parsing bytes: some Collection<UInt8>) {
        let parts = bytes.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        switch (parts.first, parts.count) {
        case ("alloc", 3): guard let m = UInt64(parts[1]) else { return nil }; self = .alloc(matchId: m, shard: parts[2])
        case ("owner", 3): guard let m = UInt64(parts[1]) else { return nil }; self = .owner(matchId: m, shard: parts[2])
        case ("over", 2): guard let m = UInt64(parts[1]) else { return nil }; self = .over(matchId: m)
        case ("join", 2): self = .join(shard: parts[1])
        case ("drain", 2): self = .drain(shard: parts[1])
        case ("leave", 2): self = .leave(shard: parts[1])
        case ("racing", 3):
            guard let p = UInt64(parts[1]), let m = UInt64(parts[2]) else { return nil }
            self = .racing(playerId: p, matchId: m)
        default: return nil
        }
    }
}
