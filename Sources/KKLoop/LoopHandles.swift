import CLibUV

/// Common life cycle of a libuv handle owned by a Swift object: the handle memory is
/// allocated manually (fixed address, zeroed), `handle->data` points at the owner, the owner
/// keeps itself alive while the handle is open, and memory is freed in the close callback.
public class LoopHandle<H> {
    let raw: UnsafeMutablePointer<H>
    /// True once ``close()`` was called.
    public private(set) var isClosed = false
    private var selfRetain: Unmanaged<LoopHandle<H>>?

    init() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<H>.size, alignment: MemoryLayout<H>.alignment)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<H>.size)
        raw = p.bindMemory(to: H.self, capacity: 1)
    }

    var handle: UnsafeMutablePointer<uv_handle_t> { UnsafeMutableRawPointer(raw).assumingMemoryBound(to: uv_handle_t.self) }

    /// Called once the handle is initialised: keeps the owner alive until closed.
    func opened() {
        handle.pointee.data = UnsafeMutableRawPointer(Unmanaged.passUnretained(self).toOpaque())
        selfRetain = Unmanaged.passRetained(self)
    }

    /// Recovers the owner from a handle in a C callback.
    static func owner(_ h: UnsafeMutableRawPointer?) -> Self {
        let handle = h!.assumingMemoryBound(to: uv_handle_t.self)
        return Unmanaged<Self>.fromOpaque(handle.pointee.data).takeUnretainedValue()
    }

    /// Closes the handle; the owner is released and the memory freed in the close callback.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        guard selfRetain != nil else { raw.deallocate(); released(); return }
        uv_close(handle) { h in
            let unmanaged = Unmanaged<AnyObject>.fromOpaque(h!.pointee.data)
            (unmanaged.takeUnretainedValue() as! any ClosableLoopHandle).didClose()
        }
    }

    /// Drops the owner's callback once the handle is closed: the callback usually holds the
    /// objects that hold this handle, a reference cycle that would otherwise outlive the loop.
    func released() {}
}

protocol ClosableLoopHandle: AnyObject { func didClose() }

extension LoopHandle: ClosableLoopHandle {
    func didClose() {
        raw.deallocate()
        released()
        let r = selfRetain
        selfRetain = nil
        r?.release()
    }
}

/// A libuv timer calling a Swift closure on the loop thread.
public final class LoopTimer: LoopHandle<uv_timer_t> {
    private var callback: () -> Void = {}

    public init(loop: EventLoop) {
        super.init()
        uv_timer_init(loop.raw, raw)
        opened()
    }

    /// Starts (or restarts) the timer: first after `afterMillis`, then every `repeatMillis` (0: once).
    public func start(afterMillis: UInt64, repeatMillis: UInt64 = 0, _ body: @escaping () -> Void) {
        callback = body
        uv_timer_start(raw, { t in LoopTimer.owner(t).callback() }, afterMillis, repeatMillis)
    }

    /// Re-arms with the same callback.
    public func again(afterMillis: UInt64) {
        uv_timer_start(raw, { t in LoopTimer.owner(t).callback() }, afterMillis, 0)
    }

    public func stop() { uv_timer_stop(raw) }

    override func released() { callback = {} }
}

/// Watches a file descriptor for readability / writability (uv_poll_t).
public final class LoopPoll: LoopHandle<uv_poll_t> {
    /// Events the callback receives.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let readable = Events(rawValue: Int32(UV_READABLE.rawValue))
        public static let writable = Events(rawValue: Int32(UV_WRITABLE.rawValue))
    }

    private var callback: (Events) -> Void = { _ in }
    public let fd: Int32

    public init(loop: EventLoop, fd: Int32) throws(IOError) {
        self.fd = fd
        super.init()
        let rc = uv_poll_init(loop.raw, raw, fd)
        guard rc == 0 else { close(); throw IOError("uv_poll_init", code: rc) }
        opened()
    }

    /// Starts watching `events`; the callback gets the ready set (errors are reported as readable
    /// so the owner's read sees them).
    public func start(_ events: Events, _ body: @escaping (Events) -> Void) {
        callback = body
        uv_poll_start(raw, events.rawValue) { p, status, ev in
            let owner = LoopPoll.owner(p)
            owner.callback(status < 0 ? .readable : Events(rawValue: ev))
        }
    }

    /// Changes the watched set, keeping the callback.
    public func update(_ events: Events) {
        uv_poll_start(raw, events.rawValue) { p, status, ev in
            let owner = LoopPoll.owner(p)
            owner.callback(status < 0 ? .readable : Events(rawValue: ev))
        }
    }

    public func stop() { uv_poll_stop(raw) }

    override func released() { callback = { _ in } }
}

/// Wakes the loop from another thread (uv_async_t); calls coalesce.
public final class LoopAsync: LoopHandle<uv_async_t>, @unchecked Sendable {
    private var callback: () -> Void

    public init(loop: EventLoop, _ body: @escaping () -> Void) throws(IOError) {
        callback = body
        super.init()
        let rc = uv_async_init(loop.raw, raw) { a in LoopAsync.owner(a).callback() }
        guard rc == 0 else { throw IOError("uv_async_init", code: rc) }
        opened()
    }

    /// Thread-safe: schedules the callback on the loop thread.
    public func send() { uv_async_send(raw) }

    override func released() { callback = {} }
}

/// Delivers a POSIX signal on the loop thread (uv_signal_t).
public final class LoopSignal: LoopHandle<uv_signal_t> {
    private var callback: () -> Void = {}

    public init(loop: EventLoop) {
        super.init()
        uv_signal_init(loop.raw, raw)
        opened()
    }

    public func start(_ signum: Int32, _ body: @escaping () -> Void) {
        callback = body
        uv_signal_start(raw, { s, _ in LoopSignal.owner(s).callback() }, signum)
    }

    public func stop() { uv_signal_stop(raw) }

    override func released() { callback = {} }
}
