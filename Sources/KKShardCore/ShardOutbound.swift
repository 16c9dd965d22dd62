import KKWire

/// A relay connected to this shard, named by the I/O layer (one id per ENet peer while it is
/// connected): the core never sees a C handle.
public struct RelayLink: Hashable, Sendable, CustomStringConvertible {
    public let id: UInt32
    public init(_ id: UInt32) { self.id = id }
    public var description: String { "relay#\(id)" }
}

/// Where one entry of the shard core's outbound queue goes.
public enum ShardTarget: Equatable, Sendable {
    /// Send the bytes to a relay (reliable: control; unreliable: frames).
    case relay(RelayLink, reliable: Bool)
    /// A join named a match this shard does not host: the I/O layer may look it up (Redis) and
    /// then call ``ShardCore/handleJoin(_:from:)`` again, or ``ShardCore/refuseJoin(_:from:)``.
    case unknownMatch(JoinRequestPacket, from: RelayLink)
}

/// Why the shard dropped a packet from a relay: the one counter family of the shard process,
/// `kk_shard_packets_dropped_total{reason}` (inputs have their own accounting counters).
public enum ShardDropReason: Int, CaseIterable, Sendable {
    case truncated, oversized, wrongProtocol, wrongVersion, unknownType, badChecksum, countOutOfRange, invalidField
    case trailingBytes, bufferTooSmall
    /// A packet only a shard sends (JoinReply, MatchFrame) arrived from a relay.
    case wrongDirection

    /// The wire errors, in the order of the cases that mirror them.
    private static let wireErrors: [WireError] = [.truncated, .oversized, .wrongProtocol, .wrongVersion, .unknownType,
                                                  .badChecksum, .countOutOfRange, .invalidField, .trailingBytes, .bufferTooSmall]

    init(_ e: WireError) { self = ShardDropReason(rawValue: Self.wireErrors.firstIndex(of: e)!)! }

    /// The `reason` label (a wire error's ``WireError/metricLabel``).
    public var label: String { rawValue < Self.wireErrors.count ? Self.wireErrors[rawValue].metricLabel : "wrong_direction" }
}
