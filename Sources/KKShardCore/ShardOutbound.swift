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

/// One thing the shard core asks the I/O layer to do, in order.
public struct ShardOutbound {
    public let target: ShardTarget
    /// The packet for a relay; empty for other targets.
    public let bytes: ArraySlice<UInt8>
}

/// Drains the shard core's outbound queue in order (``ShardCore/drainOutbound()``); entries
/// added by calls into the core while draining are drained in the same pass.
public struct ShardOutboundDrain: Sequence, IteratorProtocol {
    let core: ShardCore
    var index = 0

    public mutating func next() -> ShardOutbound? {
        guard index < core.outbound.count else {
            core.outbound.removeAll()
            return nil
        }
        let e = core.outbound[index]
        index += 1
        return ShardOutbound(target: e.target, bytes: e.bytes)
    }
}

/// Why the shard dropped a packet from a relay: the one counter family of the shard process,
/// `kk_shard_packets_dropped_total{reason}` (inputs have their own accounting counters).
public enum ShardDropReason: Int, CaseIterable, Sendable {
    case truncated, oversized, wrongProtocol, wrongVersion, unknownType, badChecksum, countOutOfRange, invalidField
    case trailingBytes, bufferTooSmall
    /// A packet only a shard sends (JoinReply, MatchFrame) arrived from a relay.
    case wrongDirection

    init(_ e: WireError) {
        self = switch e {
        case .truncated: .truncated
        case .oversized: .oversized
        case .wrongProtocol: .wrongProtocol
        case .wrongVersion: .wrongVersion
        case .unknownType: .unknownType
        case .badChecksum: .badChecksum
        case .countOutOfRange: .countOutOfRange
        case .invalidField: .invalidField
        case .trailingBytes: .trailingBytes
        case .bufferTooSmall: .bufferTooSmall
        }
    }

    /// The `reason` label.
    public var label: String {
        switch self {
        case .truncated: "truncated"
        case .oversized: "oversized"
        case .wrongProtocol: "wrong_protocol"
        case .wrongVersion: "wrong_version"
        case .unknownType: "unknown_type"
        case .badChecksum: "bad_checksum"
        case .countOutOfRange: "count_out_of_range"
        case .invalidField: "invalid_field"
        case .trailingBytes: "trailing_bytes"
        case .bufferTooSmall: "buffer_too_small"
        case .wrongDirection: "wrong_direction"
        }
    }
}
