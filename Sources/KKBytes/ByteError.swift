/// Why bytes could not be read or written. The byte layer's failures are few; each module
/// that reads or writes bytes names its own error type and maps these into it through
/// ``ByteErrorConvertible``, so a wire decoder throws `WireError`, a state parser
/// `PhysicsError`, a delta decoder `DeltaError`, all from the same readers.
public enum ByteError: Error, Equatable, Sendable {
    /// The input ended before a field was complete.
    case truncated
    /// Bytes were left after the last field.
    case trailingBytes
    /// The output buffer has no room for what is being written.
    case bufferTooSmall
    /// The padding bits after a bit-packed body are not zero.
    case nonZeroPadding
    /// A variable-length code is longer than any value it may carry.
    case codeTooLong
}

/// A module error the byte layer's failures map into (see ``ByteReader`` and ``ByteWriter``).
public protocol ByteErrorConvertible: Error {
    /// The module's error for a byte-level failure.
    init(byteError: ByteError)
}

extension ByteError: ByteErrorConvertible {
    @inlinable public init(byteError: ByteError) { self = byteError }
}
