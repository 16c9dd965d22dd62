import Foundation
import KKLoop

/// The messages of one pub/sub channel as an `AsyncStream`, for Swift-concurrency processes
/// (the platform services): a dedicated thread runs an ``EventLoop`` with a
/// ``RedisSubscriber`` (hiredis is loop-bound) and yields each payload. It reconnects and
/// resubscribes as the subscriber does; messages published while disconnected are lost (pub/sub
/// has no backlog), and when the consumer falls behind by ``bufferLimit`` messages the oldest are
/// dropped (counted). Call ``shutdown()`` to end the stream and join the thread.
public final class RedisChannelFeed: @unchecked Sendable {
    public let messages: AsyncStream<[UInt8]>
    public static let bufferLimit = 10_000

    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let lock = NSLock()
    private var wake: LoopAsync?
    private var stopping = false
    private var connected = false
    private var dropped = 0
    private let started = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private var startError: (any Error)?

    /// Messages dropped because the consumer fell behind.
    public var droppedMessages: Int { lock.withLock { dropped } }
    public var isConnected: Bool { lock.withLock { connected } }

    public init(options: RedisClient.Options, channel: String) throws {
        (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        let thread = Thread { [self] in runLoop(options: options, channel: channel) }
        thread.name = "redis-feed"
        thread.start()
        started.wait()
        if let e = startError { throw e }
    }

    /// Ends the stream and joins the loop thread. Idempotent.
    public func shutdown() {
        let first: Bool = lock.withLock { defer { stopping = true }; return !stopping }
        guard first else { return }
        lock.withLock { wake?.send() }
        stopped.wait()
        stopped.signal()
    }

    private func runLoop(options: RedisClient.Options, channel: String) {
        let loop: EventLoop
        let wakeHandle: LoopAsync
        var onWake: () -> Void = {}
        do {
            loop = try EventLoop()
            wakeHandle = try LoopAsync(loop: loop) { onWake() }
        } catch {
            startError = error
            started.signal()
            return
        }
        let subscriber = RedisSubscriber(loop: loop, options: options)
        subscriber.onStateChange = { [self] up in lock.withLock { connected = up } }
        subscriber.subscribe(channel) { [self] payload in
            if case .dropped = continuation.yield(payload) { lock.withLock { dropped += 1 } }
        }
        onWake = { [self] in
            guard lock.withLock({ stopping }) else { return }
            lock.withLock { wake = nil }
            subscriber.close()
            wakeHandle.close()
        }
        lock.withLock { wake = wakeHandle }
        subscriber.connect()
        started.signal()
        loop.run()
        onWake = {}
        loop.close()
        continuation.finish()
        stopped.signal()
    }
}
