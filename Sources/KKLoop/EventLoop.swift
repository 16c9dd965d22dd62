import CLibUV

/// A libuv loop owned by one thread. Every handle made from it (timers, polls, async, signals)
/// must be used on that thread only, except ``LoopAsync/send()``.
public final class EventLoop {
    /// The libuv loop; stays at a fixed address until ``close()``. For the adapters of this
    /// package only (KKRedis attaches hiredis to it): no C pointer is public.
    package let raw: UnsafeMutablePointer<uv_loop_t>
    private var closed = false

    public init() throws(IOError) {
        raw = .allocate(capacity: 1)
        let rc = uv_loop_init(raw)
        guard rc == 0 else {
            raw.deallocate()
            throw IOError("uv_loop_init", code: rc)
        }
    }

    /// Runs until ``stop()`` is called or no active handle is left.
    public func run() { uv_run(raw, UV_RUN_DEFAULT) }

    /// Runs one iteration; with `wait` false it does not block.
    public func runOnce(wait: Bool) { uv_run(raw, wait ? UV_RUN_ONCE : UV_RUN_NOWAIT) }

    /// Runs the close callbacks of the handles closed since the loop last ran (a process's last
    /// step after its loop stopped: their owners and memory are released), without waiting for I/O.
    public func runClosing() {
        // Two passes: a close callback may close another handle (hiredis frees its context late).
        for _ in 0..<2 { uv_run(raw, UV_RUN_NOWAIT) }
    }

    /// Makes ``run()`` return after the current iteration.
    public func stop() { uv_stop(raw) }

    /// The loop's cached time in milliseconds (updated once per iteration).
    public var nowMillis: UInt64 { uv_now(raw) }

    /// Refreshes the cached time.
    public func updateTime() { uv_update_time(raw) }

    /// Closes the loop after all its handles were closed (runs pending close callbacks first).
    public func close() {
        guard !closed else { return }
        closed = true
        uv_run(raw, UV_RUN_NOWAIT)
        if uv_loop_close(raw) == UV_EBUSY.rawValue {
            // Close whatever is still open, let the callbacks run, then close.
            uv_walk(raw, { h, _ in if uv_is_closing(h) == 0 { uv_close(h, nil) } }, nil)
            uv_run(raw, UV_RUN_DEFAULT)
            uv_loop_close(raw)
        }
        raw.deallocate()
    }

    deinit { close() }
}

/// Monotonic nanoseconds (uv_hrtime).
public func monotonicNanos() -> UInt64 { uv_hrtime() }
