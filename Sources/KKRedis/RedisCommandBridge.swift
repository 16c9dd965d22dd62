import Foundation
import KKLoop

/// Redis commands and scripts from Swift concurrency (the platform services): a ``LoopThread``
/// runs one ``RedisClient`` (hiredis is loop-bound); callers enqueue a job in a bounded,
/// lock-protected queue and wake the loop; the reply resumes the caller. While Redis is disconnected jobs fail at once (``RedisError/disconnected``):
/// nothing waits for a reconnect. Call ``shutdown()`` to join the thread.
public final class RedisCommandBridge: @unchecked Sendable {
    private typealias Job = (RedisClient, @escaping (RedisReply) -> Void) -> Void

    public let maxQueued: Int
    private let lock = NSLock()
    private var queue: [(Job, CheckedContinuation<RedisReply, Never>)] = []
    private var stopping = false
    private var connected = false
    /// Loop thread only.
    private var scripts: [String: RedisScript] = [:]
    private var thread: LoopThread!

    public var isConnected: Bool { lock.withLock { connected } }

    public init(options: RedisClient.Options, maxQueued: Int = 4096, onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in }) throws {
        self.maxQueued = max(1, maxQueued)
        thread = try LoopThread(name: "redis-bridge") { [self] loop in
            let client = RedisClient(loop: loop, options: options)
            client.onStateChange = { [self] up in
                lock.withLock { connected = up }
                onConnectionChange(up)
            }
            client.connect()
            return .init(onWake: { [self] in drain(client) }, tearDown: { [self] in
                client.close()
                lock.withLock { connected = false }
            })
        }
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
                return nil
            }
            if let refusal { c.resume(returning: refusal) } else { thread.wake() }
        }
    }

    /// Fails queued jobs, closes Redis and joins the loop thread. Idempotent.
    public func shutdown() {
        lock.withLock { stopping = true }
        thread.shutdown()
    }

    /// Loop thread: runs the queued jobs (fails them once stopping).
    private func drain(_ client: RedisClient) {
        let (jobs, stop) = lock.withLock {
            defer { queue.removeAll(keepingCapacity: true) }
            return (queue, stopping)
        }
        for (job, c) in jobs {
            if stop { c.resume(returning: .failed(.closed)) } else { job(client) { c.resume(returning: $0) } }
        }
    }
}
