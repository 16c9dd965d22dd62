import KKWire

/// A fixed ring of preallocated datagram buffers: the session encodes packets straight into a
/// slot and the transport drains them. Nothing is allocated after init. When full, new packets
/// are dropped and counted (the transport is not draining).
public struct OutgoingQueue: Sendable {
    public let slotBytes: Int
    private var storage: [UInt8]
    private var lengths: [Int]
    private var head = 0
    public private(set) var count = 0
    /// Packets refused because the ring was full.
    public private(set) var dropped = 0

    public init(slots: Int, slotBytes: Int = Limits.maxDatagramBytes) {
        self.slotBytes = slotBytes
        storage = [UInt8](repeating: 0, count: slots * slotBytes)
        lengths = [Int](repeating: 0, count: slots)
    }

    public var capacity: Int { lengths.count }

    /// Encodes one packet into the next free slot; returns its size (0 if dropped or refused).
    @discardableResult
    public mutating func push(_ encode: (inout WireWriter) throws(WireError) -> Void) -> Int {
        guard count < lengths.count else { dropped += 1; return 0 }
        let slot = (head + count) % lengths.count
        let size = slotBytes
        let n = storage.withUnsafeMutableBytes { raw -> Int in
            var w = WireWriter(UnsafeMutableRawBufferPointer(rebasing: raw[slot * size ..< (slot + 1) * size]))
            do throws(WireError) { try encode(&w) } catch { return 0 }
            return w.count
        }
        guard n > 0 else { return 0 }
        lengths[slot] = n
        count += 1
        return n
    }

    /// Hands every queued packet, oldest first, to `send`; the queue is empty afterwards.
    /// The buffer is only valid during the call.
    public mutating func drain(_ send: (UnsafeRawBufferPointer) -> Void) {
        let size = slotBytes
        storage.withUnsafeBytes { raw in
            while count > 0 {
                send(UnsafeRawBufferPointer(rebasing: raw[head * size ..< head * size + lengths[head]]))
                head = (head + 1) % lengths.count
                count -= 1
            }
        }
    }
}
