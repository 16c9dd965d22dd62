@_exported import KKBytes

/// Reads wire fields; every failure is a ``WireError`` (see `ByteReader` in KKBytes).
public typealias WireReader = ByteReader<WireError>
/// Writes wire fields; every failure is a ``WireError`` (see `ByteWriter` in KKBytes).
public typealias WireWriter = ByteWriter<WireError>

extension WireError: ByteErrorConvertible {
    /// Byte-layer failures as wire drop reasons.
    @inlinable
    public init(byteError: ByteError) {
        switch byteError {
        case .truncated: self = .truncated
        case .trailingBytes: self = .trailingBytes
        case .bufferTooSmall: self = .bufferTooSmall
        case .nonZeroPadding, .codeTooLong: self = .invalidField
        }
    }
}
