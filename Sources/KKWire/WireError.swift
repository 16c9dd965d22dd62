/// Why a packet could not be decoded or encoded. Each case is a stable drop reason a caller
/// can count (see ``metricLabel``); none of them is ever a crash.
public enum WireError: Error, Equatable, Sendable {
    /// The packet ended before a field was complete.
    case truncated
    /// The datagram is larger than ``Limits/maxDatagramBytes`` (or a payload over its limit).
    case oversized
    /// The protocol id does not belong to this deployment.
    case wrongProtocol
    /// The version byte is not ``Limits/protocolVersion``.
    case wrongVersion
    /// The packet type byte names no packet of this direction.
    case unknownType
    /// The CRC32C trailer does not match the bytes.
    case badChecksum
    /// A count field is zero where it must not be, or above its limit.
    case countOutOfRange
    /// A field holds a value the protocol does not define (an enum byte, a flag).
    case invalidField
    /// Bytes were left after the last field.
    case trailingBytes
    /// The output buffer is too small for what is being written (a programming limit).
    case bufferTooSmall

    /// A short, stable label for metrics (`reason` label of a drop counter).
    public var metricLabel: String {
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
        }
    }
}
