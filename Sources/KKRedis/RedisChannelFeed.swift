import Foundation
import KKLoop

/// The messages of one pub/sub channel as an `AsyncStream`, for Swift-concurrency processes
/// (the platform services): a ``LoopThread`` runs a ``RedisSubscriber`` (hiredis is loop-bound)
/// and yields each payload. It reconnects and resubscribes as the subscriber does; messages
/// published while disconnected are lost (pub/sub has no backlog), and when the consumer falls
/// behind by ``bufferLimit`` messages the oldest are dropped (counted). Call ``shutdown()`` to
/// end the stream and join the thread.
public final class RedisChannelFeed: @unchecked Sendable {
    public let messages: AsyncStream<[UInt8]>
    public static let bufferLimit = 10_000

    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let lock = NSLock()
    private var connected = false
    private var dropped = 0
    private var thread: LoopThread!

    /// Messages dropped because the consumer fell behind.
    public var droppedMessages: Int { lock.withLock { dropped } }
    public var isConnected: Bool { lock.withLock { connected } }

    public init(options: RedisClient.Options, channel: String) throws {
        (messages, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(Self.bufferLimit))
        thread = try LoopThread(name: "redis-feed") { [self] loop in
            let subscriber = RedisSubscriber(loop: loop, options: options)
            subscriber.onStateChange = { [self] up in lock.withLock { connected = up } }
            subscriber.subscribe(channel) { [self] payload in
                if case .dropped = continuation.yield(payload) { lock.withLock { dropped += 1 } }
            }
            subscriber.connect()
            return .init(tearDown: { [self] in
                subscriber.close()
                lock.withLock { connected = false }
            })
        }
    }

    /// Ends the stream and joins the loop thread. Idempotent.
    public func shutdown() {
        thread.shutdown()
        continuation.finish()
    }
}
