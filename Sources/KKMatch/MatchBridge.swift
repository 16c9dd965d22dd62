import Foundation
import KKLoop
import KKRedis

/// What the HTTP layer needs from an allocator (``MatchBridge`` in production; a stub is easy).
public protocol MatchAllocating: Sendable {
    /// Allocates a match slot for `playerId`; a new match records `trace` (a W3C `traceparent`).
    func allocate(playerId: UInt64, trace: String?) async throws(MatchError) -> Allocation
    /// Reserves seats for all `players` (a party) in one match, atomically.
    func allocateGroup(players: [UInt64], ticketId: String) async throws(MatchError) -> Allocation
    /// Addresses of live, non-draining relays (may be empty: then static ones are used).
    var liveRelays: [String] { get }
}

extension MatchAllocating {
    /// Allocates without a trace.
    public func allocate(playerId: UInt64) async throws(MatchError) -> Allocation { try await allocate(playerId: playerId, trace: nil) }
}

/// Async front of a ``MatchAllocator``: a dedicated thread runs an ``EventLoop`` with the
/// ``RedisClient`` (hiredis is loop-bound); callers on any thread enqueue a request in a
/// bounded, lock-protected queue and wake the loop with a ``LoopAsync``; the loop runs the
/// script and resumes the caller's continuation with the reply.
///
/// While Redis is disconnected requests fail at once with ``MatchError/redisUnavailable(_:)``
/// (nothing waits for a reconnect). The relay list is refreshed every ``Options/relayRefreshMillis``.
/// Call ``shutdown()``: the loop thread (and the bridge it holds) runs until then.
public final class MatchBridge: MatchAllocating, @unchecked Sendable {
    /// Connection and queue settings.
    public struct Options: Sendable {
        public var redis: RedisClient.Options
        public var allocator: AllocatorConfig
        /// Requests waiting for the loop thread at most; more are refused with ``MatchError/overloaded``.
        public var maxQueued: Int
        public var relayRefreshMillis: UInt64

        public init(redis: RedisClient.Options, allocator: AllocatorConfig, maxQueued: Int = 1024,
                    relayRefreshMillis: UInt64 = 1000) {
            self.redis = redis
            self.allocator = allocator
            self.maxQueued = max(1, maxQueued)
            self.relayRefreshMillis = max(10, relayRefreshMillis)
        }
    }

    /// Counters since start (a consistent snapshot).
    public struct Stats: Sendable, Codable, Equatable {
        public var redisConnected = false
        public var queued = 0
        public var inFlight = 0
        public var allocated = 0
        public var failed = 0
        public var refusedOverloaded = 0
        public var refusedDisconnected = 0
        /// Script runs that needed EVAL after NOSCRIPT.
        public var scriptFallbacks = 0
        public var relays: [String] = []
    }

    private enum Job {
        case allocate(UInt64, String?, CheckedContinuation<Result<Allocation, MatchError>, Never>)
        case allocateGroup([UInt64], String, CheckedContinuation<Result<Allocation, MatchError>, Never>)
        case refreshRelays(CheckedContinuation<Void, Never>)
    }

    public let options: Options
    private let lock = NSLock()
    private var queue: [Job] = []
    private var stopping = false
    private var stats = Stats()
    /// Set before the loop runs, cleared (under ``lock``) before the handle is closed: `send()`
    /// only happens under the lock, so never on a closed handle.
    private var wake: LoopAsync?
    private let started = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private var startError: IOError?
    /// Called on the loop thread when Redis connects (true) or disconnects (false).
    private let onConnectionChange: @Sendable (Bool) -> Void

    /// Starts the loop thread and begins connecting to Redis (not awaited: see ``isRedisConnected``).
    public init(options: Options, onConnectionChange: @escaping @Sendable (Bool) -> Void = { _ in }) throws(IOError) {
        self.options = options
        self.onConnectionChange = onConnectionChange
        let thread = Thread { [self] in runLoop() }
        thread.name = "kk-match-redis"
        thread.start()
        started.wait()
        if let e = startError { throw e }
    }

    public var isRedisConnected: Bool { lock.withLock { stats.redisConnected } }
    public var liveRelays: [String] { lock.withLock { stats.relays } }
    public var snapshot: Stats { lock.withLock { stats } }

    public func allocate(playerId: UInt64, trace: String?) async throws(MatchError) -> Allocation {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Allocation, MatchError>, Never>) in
            if let refusal = enqueue(.allocate(playerId, trace, c)) { c.resume(returning: .failure(refusal)) }
        }
        return try result.get()
    }

    public func allocateGroup(players: [UInt64], ticketId: String) async throws(MatchError) -> Allocation {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Allocation, MatchError>, Never>) in
            if let refusal = enqueue(.allocateGroup(players, ticketId, c)) { c.resume(returning: .failure(refusal)) }
        }
        return try result.get()
    }

    /// Re-reads the relay list now and returns when it is stored (or the read failed).
    public func refreshRelays() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if enqueue(.refreshRelays(c)) != nil { c.resume() }
        }
    }

    /// Fails queued requests with ``MatchError/shuttingDown``, closes Redis (replies in flight get
    /// ``MatchError/redisUnavailable(_:)``) and joins the loop thread. Idempotent.
    public func shutdown() {
        let first: Bool = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        lock.withLock { wake?.send() }
        stopped.wait()
        stopped.signal()  // a later shutdown() returns at once
    }

    /// Returns the refusal, or nil when queued.
    private func enqueue(_ job: Job) -> MatchError? {
        let refusal: MatchError? = lock.withLock {
            if stopping { return .shuttingDown }
            if case .refreshRelays = job {} else {
                if !stats.redisConnected { stats.refusedDisconnected += 1; return .redisUnavailable(.disconnected) }
                if stats.queued >= options.maxQueued { stats.refusedOverloaded += 1; return .overloaded }
            }
            queue.append(job)
            stats.queued = queue.count
            wake?.send()
            return nil
        }
        return refusal
    }

    // MARK: loop thread

    private func runLoop() {
        let loop: EventLoop
        let wakeHandle: LoopAsync
        var drainQueue: () -> Void = {}
        do {
            loop = try EventLoop()
            wakeHandle = try LoopAsync(loop: loop) { drainQueue() }
        } catch {
            startError = error
            started.signal()
            return
        }
        let client = RedisClient(loop: loop, options: options.redis)
        let allocator = MatchAllocator(client: client, config: options.allocator)
        let relayTimer = LoopTimer(loop: loop)
        let refresh = { [self] (done: (() -> Void)?) in
            allocator.liveRelays { result in
                if case .success(let r) = result { self.lock.withLock { self.stats.relays = r } }
                done?()
            }
        }
        client.onStateChange = { [self] up in
            lock.withLock { stats.redisConnected = up }
            if up {
                allocator.preloadScripts()
                refresh(nil)
            }
            onConnectionChange(up)
        }
        relayTimer.start(afterMillis: options.relayRefreshMillis, repeatMillis: options.relayRefreshMillis) {
            if client.isConnected { refresh(nil) }
        }
        drainQueue = { [self] in
            let (jobs, stop) = lock.withLock {
                defer { queue.removeAll(keepingCapacity: true); stats.queued = 0 }
                return (queue, stopping)
            }
            for job in jobs {
                switch job {
                case .allocate(let pid, let trace, let c):
                    if stop { c.resume(returning: .failure(.shuttingDown)); continue }
                    lock.withLock { stats.inFlight += 1 }
                    allocator.allocate(playerId: pid, nowMillis: Self.unixMillis(), trace: trace) { result in
                        self.lock.withLock {
                            self.stats.inFlight -= 1
                            if case .success = result { self.stats.allocated += 1 } else { self.stats.failed += 1 }
                            self.stats.scriptFallbacks = allocator.scriptFallbacks
                        }
                        c.resume(returning: result)
                    }
                case .allocateGroup(let players, let ticketId, let c):
                    if stop { c.resume(returning: .failure(.shuttingDown)); continue }
                    lock.withLock { stats.inFlight += 1 }
                    allocator.allocateGroup(players: players, ticketId: ticketId, nowMillis: Self.unixMillis()) { result in
                        self.lock.withLock {
                            self.stats.inFlight -= 1
                            if case .success = result { self.stats.allocated += 1 } else { self.stats.failed += 1 }
                        }
                        c.resume(returning: result)
                    }
                case .refreshRelays(let c):
                    if stop { c.resume() } else { refresh { c.resume() } }
                }
            }
            if stop {
                lock.withLock { wake = nil }
                relayTimer.close()
                client.close()
                wakeHandle.close()
            }
        }
        lock.withLock { wake = wakeHandle }
        client.connect()
        started.signal()
        loop.run()
        drainQueue = {}
        loop.close()
        lock.withLock { stats.redisConnected = false }
        stopped.signal()
    }

    static func unixMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
