import Foundation
import KKLoop

/// Redis commands and scripts from Swift concurrency (the platform services): a dedicated thread
/// runs an ``EventLoop`` with one ``RedisClient`` (hiredis is loop-bound); callers enqueue a job
/// in a bounded, lock-protected queue and wake the loop with a ``LoopAsync``; the reply resumes
/// the caller. While Redis is disconnected jobs fail at once (``RedisError/disconnected``):
/// nothing waits for a reconnect. Call ``shutdown()`` to join the thread.
public final class RedisCommandBridge: @unchecked Sendable {
    private typealias Job = (RedisClient, @escaping (RedisReply) -> Void) -> Void

    public let maxQueued: Int
    private let lock = NSLock()
    private var queue: [(Job, CheckedContinuation<RedisReply, Never>)] = []
    private var wake: LoopAsync?
    private var stopping = false
    private var connected = false
    private let started = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private var startError: (any Error)?
    /// Loop thread only.
    private var scripts: [String: RedisScript] = [:]

    public var isConnected: Bool { lock.withLock { connected } }

    public init(options: RedisClient.Options, maxQueued: Int = 4096, onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in }) throws {
        self.maxQueued = max(1, maxQueued)
        let thread = Thread { [self] in runLoop(options: options, onConnectionChange: onConnectionChange) }
        thread.name = "redis-bridge"
        thread.start()
        started.wait()
        if let e = startError { throw e }
    }

    /// One command; its reply (``RedisReply/failed(_:)`` when it could not be sent or answered).
    public func command(_ args: [RedisArg]) async -> RedisReply {
        // `command` calls `done` exactly once, also when it refuses the command.
        await run { client, done in client.command(args, reply: done) }
    }

    /// A Lua script by its source (EVALSHA, EVAL on NOSCRIPT; the bridge keeps one
    /// ``RedisScript`` per source, on its loop thread).
    public func script(_ source: String, keys: [RedisArg], args: [RedisArg]) async -> RedisReply {
        await run { [self] client, done in
            let script = scripts[source] ?? RedisScript(source)
            scripts[source] = script
            script.run(on: client, keys: keys, args: args, reply: done)
        }
    }

    private func run(_ job: @escaping Job) async -> RedisReply {
        await withCheckedContinuation { (c: CheckedContinuation<RedisReply, Never>) in
            let refusal: RedisReply? = lock.withLock {
                if stopping { return .failed(.closed) }
                if !connected { return .failed(.disconnected) }
                if queue.count >= maxQueued { return .failed(.tooManyInFlight) }
                queue.append((job, c))
                wake?.send()
                return nil
            }
            if let refusal { c.resume(returning: refusal) }
        }
    }

    /// Fails queued jobs, closes Redis and joins the loop thread. Idempotent.
    public func shutdown() {
        let first: Bool = lock.withLock { defer { stopping = true }; return !stopping }
        guard first else { return }
        lock.withLock { wake?.send() }
        stopped.wait()
        stopped.signal()
    }

    private func runLoop(options: RedisClient.Options, onConnectionChange: @escaping @Sendable (Bool) -> Void) {
        let loop: EventLoop
        let wakeHandle: LoopAsync
        var drain: () -> Void = {}
        do {
            loop = try EventLoop()
            wakeHandle = try LoopAsync(loop: loop) { drain() }
        } catch {
            startError = error
            started.signal()
            return
        }
        let client = RedisClient(loop: loop, options: options)
        client.onStateChange = { [self] up in
            lock.withLock { connected = up }
            onConnectionChange(up)
        }
        drain = { [self] in
            let (jobs, stop) = lock.withLock {
                defer { queue.removeAll(keepingCapacity: true) }
                return (queue, stopping)
            }
            for (job, c) in jobs {
                if stop { c.resume(returning: .failed(.closed)); continue }
                job(client) { c.resume(returning: $0) }
            }
            if stop {
                lock.withLock { wake = nil }
                client.close()
                wakeHandle.close()
            }
        }
        lock.withLock { wake = wakeHandle }
        client.connect()
        started.signal()
        loop.run()
        drain = {}
        loop.close()
        lock.withLock { connected = false }
        stopped.signal()
    }
}
