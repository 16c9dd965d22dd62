import Foundation

/// A dedicated thread running one ``EventLoop`` for callers on other threads (Swift
/// concurrency): the loop-bound objects (hiredis clients) are made by `setUp` on that thread,
/// ``wake()`` runs the returned `onWake` there (callers hand it work through their own
/// lock-protected queue), and ``shutdown()`` runs `tearDown` there, lets the loop end and joins
/// the thread. `init` returns once `setUp` ran (or throws the loop's start error).
public final class LoopThread: @unchecked Sendable {
    /// What `setUp` returns: run on every ``wake()``, and once at ``shutdown()``.
    public struct Handlers {
        public var onWake: () -> Void
        public var tearDown: () -> Void
        public init(onWake: @escaping () -> Void = {}, tearDown: @escaping () -> Void) {
            self.onWake = onWake; self.tearDown = tearDown
        }
    }

    private let lock = NSLock()
    private var wakeHandle: LoopAsync?
    private var stopping = false
    private let started = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private var startError: (any Error)?

    public init(name: String, setUp: @escaping @Sendable (EventLoop) -> Handlers) throws {
        let thread = Thread { [self] in run(setUp) }
        thread.name = name
        thread.start()
        started.wait()
        if let e = startError { throw e }
    }

    /// Thread-safe: runs `onWake` on the loop thread soon (nothing once shutting down).
    public func wake() { lock.withLock { wakeHandle?.send() } }

    /// Runs `tearDown` on the loop thread, ends the loop and joins the thread. Idempotent.
    public func shutdown() {
        let first: Bool = lock.withLock { defer { stopping = true }; return !stopping }
        guard first else { return }
        lock.withLock { wakeHandle?.send() }
        stopped.wait()
        stopped.signal()  // a later shutdown() returns at once
    }

    private func run(_ setUp: (EventLoop) -> Handlers) {
        let loop: EventLoop
        let handle: LoopAsync
        var onAsync: () -> Void = {}
        do {
            loop = try EventLoop()
            handle = try LoopAsync(loop: loop) { onAsync() }
        } catch {
            startError = error
            started.signal()
            return
        }
        let handlers = setUp(loop)
        onAsync = { [self] in
            guard lock.withLock({ stopping }) else { return handlers.onWake() }
            lock.withLock { wakeHandle = nil }
            handlers.onWake()
            handlers.tearDown()
            handle.close()
        }
        lock.withLock { wakeHandle = handle }
        started.signal()
        loop.run()
        onAsync = {}
        loop.close()
        stopped.signal()
    }
}
