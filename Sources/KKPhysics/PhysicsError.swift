import KKBytes

/// Errors of the KKPhysics module (parsing of states, tracks and input logs).
public enum PhysicsError: Error, Equatable, Sendable {
    /// Input ended before the value was complete.
    case truncated
    /// Unknown canonical-form version.
    case badVersion(UInt8)
    /// Player count outside 1...`Limits.maxPlayersPerMatch`.
    case badPlayerCount(Int)
    /// A field holds a value outside its domain.
    case invalidField(String)
    /// Bytes left over after a complete state.
    case trailingBytes(Int)
    /// A track definition could not be parsed.
    case badTrack(line: Int, reason: String)
    /// An input log could not be parsed.
    case badLog(line: Int, reason: String)
    /// No track with that name.
    case unknownTrack(String)
}

extension PhysicsError: ByteErrorConvertible {
    /// Byte-layer failures while parsing a canonical state.
    public init(byteError: ByteError) {
        switch byteError {
        case .truncated, .bufferTooSmall: self = .truncated
        case .trailingBytes: self = .trailingBytes(0)
        case .nonZeroPadding, .codeTooLong: self = .invalidField("bit packing")
        }
    }
}
