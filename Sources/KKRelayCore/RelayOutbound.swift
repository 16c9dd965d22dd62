import KKWire

/// The id a shard registers under in Redis (`kk:shard:{id}`).
public typealias ShardID = String

/// Where one entry of the relay core's outbound queue goes.
public enum RelayTarget: Sendable, Equatable {
    /// Encrypt the bytes with the session's DTLS state and send them to its client.
    case client(session: Int)
    /// Send the bytes to a shard over its ENet link (reliable: control and inputs).
    case shard(ShardID, reliable: Bool)
    /// Close the session's connection (its Disconnect, if any, is queued before this).
    case close(session: Int, reason: DisconnectReason)
    /// Look the match's shard up (Redis) and answer with ``RelayCore/routeLookedUp(matchId:_:nowMillis:)``.
    case lookUpRoute(matchId: UInt64)
    /// Open an ENet link to the shard at `host:port`; report with ``RelayCore/shardLinkUp(_:)``
    /// or ``RelayCore/shardLinkDown(_:nowMillis:)``.
    case connectShard(ShardID, host: String, port: UInt16)
    /// The session's Hello asked to join or resume its match (no bytes): the I/O layer logs it,
    /// under the client's trace when it sent one.
    case joining(session: Int)
}
