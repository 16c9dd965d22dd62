import CHiredis
import CLibUV
import CRedisLibuv
import KKLoop

/// One asynchronous hiredis connection attached to an ``EventLoop``. Loop-thread only.
///
/// - ``connect()`` starts connecting; when the server is down (at start or later) the client
///   retries forever with jittered exponential backoff until ``close()``.
/// - ``command(_:reply:)`` never blocks and never queues while disconnected: it is refused at once
///   (reply `.failed(.disconnected)`), as is a command beyond ``Options/maxInFlight``. Every
///   `reply` closure is called exactly once; commands in flight when the connection drops get
///   `.failed(.connectionLost)`.
/// - ``close()`` frees the hiredis context (possibly deferred to the next loop turn when called
///   from a connect/disconnect notification); the client holds itself alive while a context exists.
public final class RedisClient {
    /// Connection settings and bounds.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// First reconnect delay; doubles per failed attempt up to ``maxBackoffMillis``.
        public var minBackoffMillis: UInt64
        public var maxBackoffMillis: UInt64
        /// A connect attempt still pending after this long is abandoned and retried.
        public var connectTimeoutMillis: UInt64
        /// Commands awaiting a reply at most; further commands are refused (counted).
        public var maxInFlight: Int
        /// More servers to try, in turn, when `host:port` does not answer (a cluster's other nodes).
        public var seeds: [Endpoint]
        /// `host:port` (and ``seeds``) are nodes of a Redis Cluster: commands are routed by hash
        /// slot and MOVED/ASK redirects followed (``RedisClusterRouter``).
        public var cluster: Bool

        public init(host: String = "127.0.0.1", port: Int, minBackoffMillis: UInt64 = 50, maxBackoffMillis: UInt64 = 2000,
                    connectTimeoutMillis: UInt64 = 1000, maxInFlight: Int = 4096, seeds: [Endpoint] = [], cluster: Bool = false) {
            self.host = host
            self.port = port
            self.seeds = seeds
            self.cluster = cluster
            self.minBackoffMillis = max(1, minBackoffMillis)
            self.maxBackoffMillis = max(self.minBackoffMillis, maxBackoffMillis)
            self.connectTimeoutMillis = connectTimeoutMillis
            self.maxInFlight = maxInFlight
        }

        /// `host:port` first, then the seeds.
        public var endpoints: [Endpoint] { [Endpoint(host: host, port: port)] + seeds.filter { $0 != Endpoint(host: host, port: port) } }
    }

    /// A server address.
    public struct Endpoint: Sendable, Equatable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// Parses `host:port` (`[v6]:port` too); nil when malformed.
        public init?(_ text: String) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                  (1...65535).contains(port) else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self.init(host: host, port: port)
        }
    }

    /// Counters since creation.
    public struct Stats: Sendable, Equatable {
        public var connectAttempts = 0
        public var connects = 0
        public var disconnects = 0
        public var connectTimeouts = 0
        public var refusedDisconnected = 0
        public var refusedInFlight = 0
        public var refusedOther = 0
        /// Commands whose connection went away before their reply.
        public var lostInFlight = 0
    }

    enum Phase: Equatable { case idle, connecting, connected, backoff, closed }

    public let options: Options
    let loop: EventLoop
    private(set) var phase: Phase = .idle
    /// The live hiredis context (nil once hiredis freed it or we did).
    private(set) var context: UnsafeMutablePointer<redisAsyncContext>?
    private var selfRetain: Unmanaged<RedisClient>?
    private let timer: LoopTimer
    private var nextBackoff: UInt64
    /// > 0 while inside hiredis' connect callback, where freeing the context is unsafe.
    private var inConnectCallback = 0

    /// Commands sent and awaiting their reply.
    public internal(set) var inFlight = 0
    public internal(set) var stats = Stats()
    /// Called on the loop thread when the connection comes up (true) or goes down (false).
    public var onStateChange: (Bool) -> Void = { _ in }
    /// Pub/sub replies (used by ``RedisSubscriber``).
    var pubSubHandler: (RedisReply) -> Void = { _ in }
    /// Internal observer run before ``onStateChange`` (used by ``RedisSubscriber``).
    var stateHook: (Bool) -> Void = { _ in }
    /// Set in cluster mode: routes commands over one connection per node.
    private(set) var router: RedisClusterRouter?
    /// Connect attempts so far: the endpoint tried next is `endpoints[attempts % count]`.
    private var attemptIndex = 0
    /// More endpoints learned at run time (a cluster's nodes, for ``RedisSubscriber``): tried in
    /// turn after ``Options/endpoints`` when the connection must be made again.
    var learnedEndpoints: [Endpoint] = []

    public init(loop: EventLoop, options: Options) {
        self.loop = loop
        self.options = options
        self.nextBackoff = options.minBackoffMillis
        self.timer = LoopTimer(loop: loop)
        if options.cluster { router = RedisClusterRouter(owner: self, loop: loop, options: options) }
    }

    /// Whether commands can be sent now (in cluster mode: the slot map is known and some node is
    /// connected; a command for a slot whose node is down is still refused).
    public var isConnected: Bool {
        if let router { return phase == .connected && router.ready }
        return phase == .connected && context != nil
    }

    /// Redirects followed and slot-map refreshes (cluster mode; 0 otherwise).
    public var clusterCounters: (redirects: Int, refreshes: Int) { (router?.redirects ?? 0, router?.refreshes ?? 0) }
    /// The cluster nodes connected now (cluster mode).
    public var clusterNodesConnected: [String] { router?.connectedNodes ?? [] }

    /// Starts connecting (and reconnecting after drops) until ``close()``. Idempotent.
    public func connect() {
        guard phase == .idle else { return }
        if let router {
            phase = .connected  // the router's nodes connect and reconnect themselves
            router.start()
            return
        }
        attempt()
    }

    /// Stops reconnecting and frees the connection. Pending replies get `.failed(.closed)`
    /// (or `"connection lost"`). No callback of this client runs after the context is freed,
    /// except those replies.
    public func close() {
        guard phase != .closed else { return }
        if let router {
            phase = .closed
            timer.close()
            router.close()
            return
        }
        let wasUp = isConnected
        phase = .closed
        timer.stop()
        if context != nil, inConnectCallback > 0 {
            timer.start(afterMillis: 0) { [weak self] in self?.freeClosedContext() }
        } else {
            freeClosedContext()
        }
        if wasUp { notify(false) }
    }

    private func freeClosedContext() {
        if let ac = context {
            let deferredByHiredis = ac.pointee.c.flags & crelay_redis_flag_in_callback() != 0
            redisAsyncFree(ac)  // runs pending callbacks (NULL replies) and onDisconnect now or after the current callback
            if !deferredByHiredis { contextGone(ac) }
        }
        timer.close()
    }

    // MARK: connection life cycle

    private func attempt() {
        phase = .connecting
        stats.connectAttempts += 1
        let all = options.endpoints + learnedEndpoints.filter { !options.endpoints.contains($0) }
        let ep = all[attemptIndex % all.count]
        attemptIndex &+= 1
        guard let ac = redisAsyncConnect(ep.host, Int32(ep.port)) else { return scheduleRetry() }
        if ac.pointee.err != 0 {  // e.g. ECONNREFUSED at once on loopback; not attached yet
            redisAsyncFree(ac)
            return scheduleRetry()
        }
        guard crelay_redis_uv_attach(ac, loop.raw) == crelay_redis_ok() else {
            redisAsyncFree(ac)
            return scheduleRetry()
        }
        ac.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        context = ac
        selfRetain = Unmanaged.passRetained(self)
        redisAsyncSetConnectCallback(ac) { ac, status in
            guard let ac, let data = ac.pointee.data else { return }
            Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().didConnect(ac, ok: status == crelay_redis_ok())
        }
        redisAsyncSetDisconnectCallback(ac) { ac, _ in
            guard let ac, let data = ac.pointee.data else { return }
            Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue().didDisconnect(ac)
        }
        timer.start(afterMillis: options.connectTimeoutMillis) { [weak self] in self?.connectTimedOut() }
    }

    private func didConnect(_ ac: UnsafePointer<redisAsyncContext>, ok: Bool) {
        guard ok else {
            contextGone(ac)  // hiredis frees it when we return
            if phase == .connecting { scheduleRetry() }
            return
        }
        guard phase == .connecting else { return }
        timer.stop()
        phase = .connected
        nextBackoff = options.minBackoffMillis
        stats.connects += 1
        inConnectCallback += 1
        notify(true)
        inConnectCallback -= 1
    }

    private func didDisconnect(_ ac: UnsafePointer<redisAsyncContext>) {
        contextGone(ac)  // hiredis frees it when we return; nothing may touch it from now on
        guard phase == .connected else { return }
        stats.disconnects += 1
        scheduleRetry()
        notify(false)
    }

    private func connectTimedOut() {
        guard phase == .connecting, let ac = context else { return }
        stats.connectTimeouts += 1
        redisAsyncFree(ac)  // not connected: no callbacks, freed now
        contextGone(ac)
        scheduleRetry()
    }

    private func scheduleRetry() {
        phase = .backoff
        let d = nextBackoff
        nextBackoff = min(d * 2, options.maxBackoffMillis)
        let delay = d / 2 + UInt64.random(in: 0...(d - d / 2))  // jitter: [d/2, d]
        timer.start(afterMillis: delay) { [weak self] in
            guard let self, self.phase == .backoff else { return }
            self.attempt()
        }
    }

    /// Forgets `ac` (freed by hiredis or by us) and drops the self-retain taken with it.
    private func contextGone(_ ac: UnsafePointer<redisAsyncContext>) {
        guard let c = context, UnsafePointer(c) == ac else { return }
        context = nil
        let r = selfRetain
        selfRetain = nil
        r?.release()
    }

    func notify(_ up: Bool) {
        stateHook(up)
        onStateChange(up)
    }

    deinit { timer.close() }
}
