/// Writes little-endian fields into a caller-owned byte buffer, advancing a cursor.
///
/// Writing past the end throws `Failure(byteError: .bufferTooSmall)`; nothing is allocated.
/// `Failure` is the writing module's error (`WireWriter` is `ByteWriter<WireError>`); a
/// ``BitWriter`` can pack bits straight into it.
public struct ByteWriter<Failure: ByteErrorConvertible> {
    @usableFromInline let base: UnsafeMutableRawBufferPointer
    /// Bytes written so far (the offset of the next byte).
    @usableFromInline var _count: Int
    /// Bytes written so far (the offset of the next byte).
    @inlinable public var count: Int { _count }

    /// A writer over `buffer`, starting at `offset`.
    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        self.base = buffer
        self._count = offset
    }

    /// Room left in the buffer.
    @inlinable public var capacityLeft: Int { base.count - _count }

    /// The bytes written so far.
    @inlinable public var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: base[0..<_count]) }

    @inlinable
    mutating func reserve(_ n: Int) throws(Failure) -> Int {
        guard n <= base.count - _count else { throw Failure(byteError: .bufferTooSmall) }
        let at = _count
        _count += n
        return at
    }

    @inlinable
    public mutating func writeUInt8(_ v: UInt8) throws(Failure) {
        let at = try reserve(1)
        base[at] = v
    }

    @inlinable
    public mutating func writeInt8(_ v: Int8) throws(Failure) {
        try writeUInt8(UInt8(bitPattern: v))
    }

    @inlinable
    public mutating func writeUInt16(_ v: UInt16) throws(Failure) {
        let at = try reserve(2)
        base.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt16.self)
    }

    @inlinable
    public mutating func writeUInt32(_ v: UInt32) throws(Failure) {
        let at = try reserve(4)
        base.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self)
    }

    @inlinable
    public mutating func writeUInt64(_ v: UInt64) throws(Failure) {
        let at = try reserve(8)
        base.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt64.self)
    }

    /// Copies raw bytes in.
    @inlinable
    public mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        let at = try reserve(bytes.count)
        if bytes.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: base[at..<(at + bytes.count)]).copyMemory(from: bytes)
        }
    }

    /// Copies an array's bytes in (cold paths).
    public mutating func writeBytes(_ bytes: [UInt8]) throws(Failure) {
        let at = try reserve(bytes.count)
        bytes.withUnsafeBytes { raw in
            if raw.count > 0 { UnsafeMutableRawBufferPointer(rebasing: base[at..<(at + raw.count)]).copyMemory(from: raw) }
        }
    }

    /// Reserves `n` bytes to be filled later (e.g. a length field) and returns their offset.
    @inlinable
    public mutating func skip(_ n: Int) throws(Failure) -> Int { try reserve(n) }

    /// Overwrites a UInt16 at an offset already written.
    @inlinable
    public mutating func patchUInt16(_ v: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= _count, "patch outside written bytes")
        base.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// A writer over the unused tail, for code that writes a nested payload; commit with ``advance(by:)``.
    @inlinable
    public var unusedTail: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: base[_count...]) }

    /// Marks `n` bytes of ``unusedTail`` as written.
    @inlinable
    public mutating func advance(by n: Int) throws(Failure) { _ = try reserve(n) }
}

extension ByteWriter {
    /// Runs `body` with a writer over a fresh buffer of `capacity` bytes and returns what it wrote.
    /// Allocates: for tests, tools and cold paths only.
    public static func bytes(capacity: Int = Limits.maxDatagramBytes,
                             _ body: (inout ByteWriter) throws(Failure) -> Void) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: capacity)
        var n = 0
        var failure: Failure?
        out.withUnsafeMutableBytes { raw in
            var w = ByteWriter(raw)
            do throws(Failure) { try body(&w) } catch { failure = error }
            n = w.count
        }
        if let failure { throw failure }
        out.removeLast(capacity - n)
        return out
    }
}

extension ByteWriter {
    /// Runs `body` with a writer over the reused scratch `buffer` and returns how many bytes it
    /// wrote, or 0 when `body` failed (the packet does not fit). No allocation: the hot paths'
    /// way to encode a packet before handing `buffer[0..<n]` to a socket.
    @inlinable
    public static func write(into buffer: inout [UInt8], _ body: (inout ByteWriter) throws(Failure) -> Void) -> Int {
        buffer.withUnsafeMutableBytes { raw -> Int in
            var w = ByteWriter(raw)
            do throws(Failure) { try body(&w) } catch { return 0 }
            return w.count
        }
    }
}
