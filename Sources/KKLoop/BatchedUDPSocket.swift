import CNetLinux
import Glibc
import KKBytes

/// A non-blocking UDP socket that receives with recvmmsg and sends with sendmmsg from
/// buffers allocated once: no allocation per datagram, and about one system call per batch.
/// The owner polls the fd (``LoopPoll``) and calls ``receive(_:)`` / ``flush()`` on the loop thread.
public final class BatchedUDPSocket {
    public let fd: Int32
    /// Datagrams per system call.
    public let batch: Int
    /// Bytes per datagram slot.
    public let slotBytes: Int

    private let recvBuffers: UnsafeMutableRawPointer
    private let recvIov: UnsafeMutablePointer<iovec>
    private let recvAddrs: UnsafeMutablePointer<sockaddr_in6>
    private let recvMsgs: UnsafeMutablePointer<crelay_mmsghdr>

    private let sendBuffers: UnsafeMutableRawPointer
    private let sendIov: UnsafeMutablePointer<iovec>
    private let sendAddrs: UnsafeMutablePointer<sockaddr_in6>
    private let sendMsgs: UnsafeMutablePointer<crelay_mmsghdr>
    /// Datagrams queued in the send slots.
    public private(set) var queued = 0

    /// Counters (owned by the loop thread).
    public private(set) var receiveCalls = 0
    public private(set) var sendCalls = 0
    public private(set) var sendErrors = 0

    /// Opens and binds a socket. With `reusePort`, several processes may bind the same port
    /// (the kernel spreads datagrams by source address hash).
    public init(bind address: PeerAddress, reusePort: Bool = false, batch: Int = 32, slotBytes: Int = Limits.maxCiphertextDatagramBytes,
                socketBufferBytes: Int32 = 4 << 20) throws(IOError) {
        let s = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .errno("socket") }
        var one: Int32 = 1
        var size = socketBufferBytes
        if reusePort { setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, 4) }
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, 4)
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, 4)
        let rc = address.withSockaddr { sa, len in Glibc.bind(s, sa, len) }
        guard rc == 0 else { let e = IOError.errno("bind \(address)"); Glibc.close(s); throw e }
        fd = s
        self.batch = batch
        self.slotBytes = slotBytes
        recvBuffers = .allocate(byteCount: batch * slotBytes, alignment: 16)
        recvIov = .allocate(capacity: batch)
        recvAddrs = .allocate(capacity: batch)
        recvMsgs = .allocate(capacity: batch)
        sendBuffers = .allocate(byteCount: batch * slotBytes, alignment: 16)
        sendIov = .allocate(capacity: batch)
        sendAddrs = .allocate(capacity: batch)
        sendMsgs = .allocate(capacity: batch)
        for i in 0..<batch {
            recvIov[i] = iovec(iov_base: recvBuffers + i * slotBytes, iov_len: slotBytes)
            sendIov[i] = iovec(iov_base: sendBuffers + i * slotBytes, iov_len: 0)
        }
    }

    deinit {
        Glibc.close(fd)
        recvBuffers.deallocate(); recvIov.deallocate(); recvAddrs.deallocate(); recvMsgs.deallocate()
        sendBuffers.deallocate(); sendIov.deallocate(); sendAddrs.deallocate(); sendMsgs.deallocate()
    }

    /// The bound local address.
    public var localAddress: PeerAddress {
        var ss = sockaddr_in6()
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &ss) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return PeerAddress(sockaddr: &ss, length: UInt32(len))
    }

    /// Receives until the socket is drained or `maxBatches` batches were read; calls `handler`
    /// for each datagram (the bytes are valid only during the call). Returns datagrams read.
    @discardableResult
    public func receive(maxBatches: Int = 8, _ handler: (UnsafeRawBufferPointer, PeerAddress) -> Void) -> Int {
        var total = 0
        for _ in 0..<maxBatches {
            for i in 0..<batch {
                recvMsgs[i] = crelay_mmsghdr(
                    msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(recvAddrs + i), msg_namelen: socklen_t(MemoryLayout<sockaddr_in6>.size),
                                    msg_iov: recvIov + i, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
                    msg_len: 0)
            }
            receiveCalls += 1
            let n = retryingEINTR { crelay_recvmmsg(fd, recvMsgs, UInt32(batch), Int32(MSG_DONTWAIT)) }
            if n <= 0 { break }
            for i in 0..<Int(n) {
                let len = Int(recvMsgs[i].msg_len)
                // Datagrams longer than a slot arrive truncated (MSG_TRUNC): pass them on at slot
                // size +1 so the parser refuses them as oversized rather than reading a prefix.
                let truncated = (recvMsgs[i].msg_hdr.msg_flags & Int32(MSG_TRUNC)) != 0
                let bytes = UnsafeRawBufferPointer(start: recvBuffers + i * slotBytes, count: min(len, slotBytes))
                let from = PeerAddress(sockaddr: recvAddrs + i, length: UInt32(recvMsgs[i].msg_hdr.msg_namelen))
                if truncated {
                    handler(UnsafeRawBufferPointer(start: recvBuffers + i * slotBytes, count: 0), from)
                } else {
                    handler(bytes, from)
                }
            }
            total += Int(n)
            if Int(n) < batch { break }
        }
        return total
    }

    /// Free send slots.
    public var sendSlotsFree: Int { batch - queued }

    /// Writes one datagram for `to` directly into the next send slot: `body` fills the buffer and
    /// returns the byte count (0 cancels). Flushes first when the slots are full. Returns false
    /// when the datagram could not be queued (socket buffer full).
    @discardableResult
    public func send(to: PeerAddress, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Bool {
        if queued == batch {
            flush()
            if queued == batch { return false }
        }
        let slot = UnsafeMutableRawBufferPointer(start: sendBuffers + queued * slotBytes, count: slotBytes)
        let n = body(slot)
        guard n > 0 else { return true }
        sendIov[queued].iov_len = n
        _ = to.withSockaddr { sa, len in
            UnsafeMutableRawPointer(sendAddrs + queued).copyMemory(from: sa, byteCount: Int(len))
            sendMsgs[queued] = crelay_mmsghdr(
                msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(sendAddrs + queued), msg_namelen: len,
                                msg_iov: sendIov + queued, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
                msg_len: 0)
        }
        queued += 1
        return true
    }

    /// Copies `bytes` into a send slot for `to`.
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, to: PeerAddress) -> Bool {
        guard bytes.count <= slotBytes else { return false }
        return send(to: to) { slot in
            slot.copyMemory(from: bytes)
            return bytes.count
        }
    }

    /// Sends every queued datagram (one sendmmsg per batch). Datagrams the kernel refuses with
    /// EAGAIN stay queued; other errors drop the datagram (counted in ``sendErrors``).
    /// Returns the number of datagrams sent.
    @discardableResult
    public func flush() -> Int {
        var sent = 0
        while queued > 0 {
            sendCalls += 1
            let n = retryingEINTR { crelay_sendmmsg(fd, sendMsgs, UInt32(queued), Int32(MSG_DONTWAIT)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                // Drop the first datagram (e.g. unreachable destination) and go on.
                sendErrors += 1
                shift(by: 1)
                continue
            }
            sent += Int(n)
            shift(by: Int(n))
            if n == 0 { break }
        }
        return sent
    }

    /// Moves the unsent tail of the queue to the front.
    private func shift(by n: Int) {
        let rest = queued - n
        if rest > 0 {
            for i in 0..<rest {
                let from = n + i
                (sendBuffers + i * slotBytes).copyMemory(from: sendBuffers + from * slotBytes, byteCount: sendIov[from].iov_len)
                sendIov[i].iov_len = sendIov[from].iov_len
                sendAddrs[i] = sendAddrs[from]
                sendMsgs[i] = sendMsgs[from]
                sendMsgs[i].msg_hdr.msg_name = UnsafeMutableRawPointer(sendAddrs + i)
                sendMsgs[i].msg_hdr.msg_iov = sendIov + i
            }
        }
        queued = rest
    }
}
