import KKBytes

/// Errors of the delta codec. Any malformed, corrupted or mismatched payload ends in one
/// of these; decoding never traps and never returns a wrong state knowingly.
public enum DeltaError: Error, Equatable, Sendable {
    /// Payload shorter than its structure requires.
    case truncated
    /// Unknown format version byte.
    case badVersion(UInt8)
    /// The CRC32C trailer does not match the bytes.
    case checksumMismatch
    /// The decoded state does not hash to the value the encoder recorded
    /// (wrong baseline contents, or corruption the CRC missed).
    case stateHashMismatch
    /// A delta payload arrived but no baseline was supplied.
    case baselineMissing
    /// The supplied baseline is not the one the payload was encoded against.
    case baselineMismatch(expectedTick: UInt32, actualTick: UInt32)
    /// A field decoded to a value outside its domain.
    case invalidField(String)
    /// Bytes left after the body.
    case trailingBytes
}

extension DeltaError: ByteErrorConvertible {
    /// Byte-layer failures while reading a delta body.
    public init(byteError: ByteError) {
        switch byteError {
        case .truncated, .bufferTooSmall: self = .truncated
        case .trailingBytes, .nonZeroPadding: self = .trailingBytes
        case .codeTooLong: self = .invalidField("exp-golomb prefix")
        }
    }
}
