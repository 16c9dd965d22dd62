/// Reads little-endian fields from a borrowed byte buffer, advancing a cursor.
///
/// Every `read*` throws `Failure(byteError: .truncated)` on short input and never traps.
/// The reader borrows its bytes: keep the underlying buffer alive while the reader is in use.
/// `Failure` is the reading module's error (`WireReader` is `ByteReader<WireError>`).
public struct ByteReader<Failure: ByteErrorConvertible> {
    @usableFromInline let base: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    @usableFromInline var _offset: Int
    /// Offset of the next unread byte.
    @inlinable public var offset: Int { _offset }

    /// A reader over `bytes`, starting at `offset`.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = bytes
        self._offset = offset
    }

    /// Bytes not read yet.
    @inlinable public var remaining: Int { base.count - _offset }

    @inlinable
    mutating func take(_ n: Int) throws(Failure) -> Int {
        guard n >= 0, n <= base.count - _offset else { throw Failure(byteError: .truncated) }
        let at = _offset
        _offset += n
        return at
    }

    @inlinable
    public mutating func readUInt8() throws(Failure) -> UInt8 {
        let at = try take(1)
        return base[at]
    }

    @inlinable
    public mutating func readInt8() throws(Failure) -> Int8 {
        Int8(bitPattern: try readUInt8())
    }

    @inlinable
    public mutating func readUInt16() throws(Failure) -> UInt16 {
        let at = try take(2)
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    @inlinable
    public mutating func readUInt32() throws(Failure) -> UInt32 {
        let at = try take(4)
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    @inlinable
    public mutating func readInt32() throws(Failure) -> Int32 {
        Int32(bitPattern: try readUInt32())
    }

    @inlinable
    public mutating func readUInt64() throws(Failure) -> UInt64 {
        let at = try take(8)
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// Skips `count` bytes and returns their range in the underlying buffer (a view, no copy).
    @inlinable
    public mutating func readRange(count: Int) throws(Failure) -> Range<Int> {
        let at = try take(count)
        return at..<(at + count)
    }

    /// Copies `count` bytes into a new array (for cold paths only).
    public mutating func readArray(count: Int) throws(Failure) -> [UInt8] {
        let range = try readRange(count: count)
        return Array(base[range])
    }

    /// Throws `Failure(byteError: .trailingBytes)` unless every byte was read.
    @inlinable
    public func expectEnd() throws(Failure) {
        guard _offset == base.count else { throw Failure(byteError: .trailingBytes) }
    }
}
