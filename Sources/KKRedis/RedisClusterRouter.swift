import KKLoop

/// The Redis Cluster side of a ``RedisClient`` made with ``RedisClient/Options/cluster``
/// (hiredis on Debian has no cluster client). Loop-thread only.
///
/// - Learns the slot map with `CLUSTER NODES` from any connected node (the seeds first) and keeps
///   one plain connection per node it lists, replicas included, so a promoted replica is already
///   connected when a failover moves its slots.
/// - Sends each command to the node serving the slot of its key (``RedisSlot/keyIndex(_:)``); a
///   command without a key goes to any connected node.
/// - Follows `-MOVED slot host:port` (remembers the slot, refreshes the whole map soon after: a
///   MOVED usually means a failover or resharding) and `-ASK slot host:port` (`ASKING` then the
///   command on that node, map unchanged), at most ``maxRedirects`` times; a redirect to a node
///   not connected yet waits for it up to the connect timeout.
/// - The map is read again every ``fullRefreshMillis``, and every ``refreshMillis`` while a
///   node of it is down; commands for its slots fail at once (`.failed(.disconnected)`) until
///   a replica has taken them over: nothing waits for a failover.
final class RedisClusterRouter {
    static let maxRedirects = 5
    static let refreshMillis: UInt64 = 250
    /// The map is read again this often anyway (nodes added, replicas moved).
    static let fullRefreshMillis: UInt64 = 5_000

    private struct Parked {
        let addr: String
        let args: [[UInt8]]
        let asking: Bool
        let hops: Int
        let deadline: UInt64
        let reply: (RedisReply) -> Void
    }

    private unowned let owner: RedisClient
    private let loop: EventLoop
    private let options: RedisClient.Options
    private let seeds: [String]
    /// One plain connection per node, by "host:port".
    private var nodes: [String: RedisClient] = [:]
    /// The node serving each slot ("" unknown).
    private var slots = [String](repeating: "", count: RedisSlot.count)
    /// The nodes ``slots`` names (kept with it: the timer asks whether one is down).
    private var primaries: Set<String> = []
    private var parked: [Parked] = []
    private let timer: LoopTimer
    private var refreshInFlight = false
    private var lastRefresh: UInt64 = 0
    private var closed = false
    /// A slot map has been loaded and some node is connected.
    private(set) var ready = false
    /// Redirects followed and map refreshes done (tests and metrics).
    private(set) var redirects = 0
    private(set) var refreshes = 0

    init(owner: RedisClient, loop: EventLoop, options: RedisClient.Options) {
        self.owner = owner
        self.loop = loop
        self.options = options
        self.seeds = options.endpoints.map { "\($0.host):\($0.port)" }
        self.timer = LoopTimer(loop: loop)
    }

    func start() {
        for s in seeds { _ = node(s) }
        timer.start(afterMillis: Self.refreshMillis, repeatMillis: Self.refreshMillis) { [unowned self] in tick() }
    }

    func close() {
        guard !closed else { return }
        closed = true
        timer.stop()
        timer.close()
        let waiting = parked
        parked = []
        for p in waiting { p.reply(.failed(.closed)) }
        for n in nodes.values { n.close() }
        nodes = [:]
        setReady(false)
    }

    /// Routes one command (see the type's documentation).
    func send(_ args: [[UInt8]], reply: @escaping (RedisReply) -> Void) {
        if closed { return refuse(.closed, reply) }
        guard ready else { return refuse(.disconnected, reply) }
        if owner.inFlight >= options.maxInFlight { return refuse(.tooManyInFlight, reply) }
        var target: RedisClient?
        if let k = RedisSlot.keyIndex(args) {
            let addr = slots[RedisSlot.of(args[k])]
            if let n = nodes[addr] {
                if n.isConnected {
                    target = n
                } else if n.stats.connects == 0 {
                    // A node still making its first connection (just learned from the map): wait for it.
                    return park(addr, args, asking: false, hops: 0, reply: reply)
                } else {
                    refreshSoon()  // down: fail fast below unless another node redirects elsewhere
                }
            }
        }
        // No key, or its node is unknown or down: any node answers or redirects.
        guard let node = target ?? nodes.values.first(where: \.isConnected) else { return refuse(.disconnected, reply) }
        dispatch(args, on: node, asking: false, hops: 0, reply: reply)
    }

    private func refuse(_ e: RedisError, _ reply: (RedisReply) -> Void) {
        switch e {
        case .disconnected, .closed: owner.stats.refusedDisconnected += 1
        case .tooManyInFlight: owner.stats.refusedInFlight += 1
        default: owner.stats.refusedOther += 1
        }
        reply(.failed(e))
    }

    private func dispatch(_ args: [[UInt8]], on node: RedisClient, asking: Bool, hops: Int, reply: @escaping (RedisReply) -> Void) {
        if asking { node.command([Array("ASKING".utf8)]) { _ in } }
        owner.inFlight += 1
        node.command(args) { [self] r in
            owner.inFlight -= 1
            if case .failed(.connectionLost) = r { owner.stats.lostInFlight += 1 }
            guard case .error(let message) = r, !closed, hops < Self.maxRedirects,
                  let (kind, slot, addr) = Self.redirect(message) else { return reply(r) }
            redirects += 1
            let ask = kind == "ASK"
            if !ask {
                slots[slot] = addr
                primaries.insert(addr)
                refreshSoon()
            }
            let next = self.node(addr)
            if next.isConnected { return dispatch(args, on: next, asking: ask, hops: hops + 1, reply: reply) }
            // A node we have not reached yet is waited for; one that went down fails the command
            // at once (its replica takes over; the map refresh finds it).
            if next.stats.connects == 0 { return park(addr, args, asking: ask, hops: hops + 1, reply: reply) }
            refuse(.disconnected, reply)
        }
    }

    /// Holds a command for a node that is connecting, up to the connect timeout.
    private func park(_ addr: String, _ args: [[UInt8]], asking: Bool, hops: Int, reply: @escaping (RedisReply) -> Void) {
        parked.append(Parked(addr: addr, args: args, asking: asking, hops: hops,
                             deadline: monotonicNanos() / 1_000_000 + options.connectTimeoutMillis, reply: reply))
    }

    /// `MOVED 3999 127.0.0.1:6381` / `ASK ...` -> (kind, slot, address).
    static func redirect(_ message: String) -> (String, Int, String)? {
        let parts = message.split(separator: " ")
        guard parts.count == 3, parts[0] == "MOVED" || parts[0] == "ASK",
              let slot = Int(parts[1]), slot >= 0, slot < RedisSlot.count else { return nil }
        return (String(parts[0]), slot, String(parts[2]))
    }

    // MARK: nodes and the slot map

    private func node(_ addr: String) -> RedisClient {
        if let n = nodes[addr] { return n }
        let ep = RedisClient.Endpoint(addr) ?? RedisClient.Endpoint(host: addr, port: 6379)
        var o = options
        o.host = ep.host
        o.port = ep.port
        o.seeds = []
        o.cluster = false
        let n = RedisClient(loop: loop, options: o)
        n.onStateChange = { [unowned self] up in nodeChanged(addr, up) }
        nodes[addr] = n
        n.connect()
        return n
    }

    private func nodeChanged(_ addr: String, _ up: Bool) {
        guard !closed else { return }
        if up {
            if !ready { refresh() }
            let now = parked.filter { $0.addr == addr }
            parked.removeAll { $0.addr == addr }
            for p in now {
                guard let n = nodes[addr] else { p.reply(.failed(.disconnected)); continue }
                dispatch(p.args, on: n, asking: p.asking, hops: p.hops, reply: p.reply)
            }
        } else {
            refreshSoon()
            if !nodes.values.contains(where: \.isConnected) { setReady(false) }
        }
    }

    /// Runs every ``refreshMillis``: parked commands past their deadline fail; the map is
    /// refreshed while one of its nodes is down.
    private func tick() {
        let now = monotonicNanos() / 1_000_000
        let late = parked.filter { $0.deadline <= now }
        parked.removeAll { $0.deadline <= now }
        for p in late {
            owner.stats.refusedDisconnected += 1
            p.reply(.failed(.disconnected))
        }
        if !ready || now - lastRefresh >= Self.fullRefreshMillis
            || primaries.contains(where: { nodes[$0]?.isConnected != true }) { refresh() }
    }

    private func refreshSoon() {
        let now = monotonicNanos() / 1_000_000
        if now - lastRefresh >= Self.refreshMillis / 2 { refresh() }
    }

    private func refresh() {
        guard !closed, !refreshInFlight, let asked = nodes.first(where: { $0.value.isConnected }) else { return }
        refreshInFlight = true
        lastRefresh = monotonicNanos() / 1_000_000
        asked.value.command(["CLUSTER", "NODES"]) { [self] r in
            refreshInFlight = false
            guard !closed, let map = Self.parseTopology(r, askedHost: String(asked.key.split(separator: ":").first ?? "")) else { return }
            refreshes += 1
            var fresh = [String](repeating: "", count: RedisSlot.count)
            var listed = map.nodes
            for (range, addrs) in map.ranges {
                for s in range { fresh[s] = addrs[0] }
                listed.formUnion(addrs)
            }
            slots = fresh
            primaries = Set(map.ranges.map { $0.1[0] })
            for a in listed { _ = node(a) }
            // Nodes no longer listed (a removed or long-dead node) are dropped; the seeds stay, to
            // find the cluster again if every listed node goes away.
            for (a, n) in nodes where !listed.contains(a) && !seeds.contains(a) {
                n.close()
                nodes[a] = nil
            }
            setReady(nodes.values.contains(where: \.isConnected))
        }
    }

    /// The `CLUSTER NODES` reply as (slot range, [primary, its live replicas...] addresses).
    /// (Redis 7.0's `CLUSTER SLOTS` leaves out replicas that have not replicated any write yet:
    /// a fresh cluster's; their primary's failover would find them unconnected.) Lines:
    /// `<id> <host:port@bus> <flags> <primary id or -> <ping> <pong> <epoch> <link> <slot ranges...>`.
    static func parseNodes(_ r: RedisReply, askedHost: String) -> [(ClosedRange<Int>, [String])]? {
        parseTopology(r, askedHost: askedHost)?.ranges
    }

    /// The slot ranges as ``parseNodes(_:askedHost:)``, and every live node listed (also one
    /// whose role the asked node has not learned yet: a fresh replica can show as a primary
    /// without slots for a moment).
    static func parseTopology(_ r: RedisReply, askedHost: String) -> (ranges: [(ClosedRange<Int>, [String])], nodes: Set<String>)? {
        guard let text = r.text else { return nil }
        var addrOf: [Substring: String] = [:], replicas: [Substring: [String]] = [:]
        var ranges: [(ClosedRange<Int>, Substring)] = []
        var all = Set<String>()
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 8, !f[2].contains("fail"), !f[2].contains("noaddr"), !f[2].contains("handshake"),
                  let hostPort = f[1].split(separator: "@").first, let colon = hostPort.lastIndex(of: ":"),
                  let port = Int(hostPort[hostPort.index(after: colon)...]) else { continue }
            let host = hostPort[..<colon].isEmpty ? askedHost : String(hostPort[..<colon])
            let addr = "\(host):\(port)"
            all.insert(addr)
            if f[2].contains("master") {
                addrOf[f[0]] = addr
                for r in f.dropFirst(8) where !r.hasPrefix("[") {
                    let b = r.split(separator: "-")
                    guard let lo = Int(b[0]), let hi = b.count > 1 ? Int(b[1]) : lo, lo >= 0, hi >= lo, hi < RedisSlot.count else { return nil }
                    ranges.append((lo...hi, f[0]))
                }
            } else if f[2].contains("slave") {
                replicas[f[3], default: []].append(addr)
            }
        }
        guard !ranges.isEmpty else { return nil }
        return (ranges.compactMap { range, id in addrOf[id].map { (range, [$0] + (replicas[id] ?? []).sorted()) } }, all)
    }

    private func setReady(_ up: Bool) {
        guard up != ready else { return }
        ready = up
        if up { owner.stats.connects += 1 } else { owner.stats.disconnects += 1 }
        owner.notify(up)
    }

    /// Addresses of the nodes connected now (tests).
    var connectedNodes: [String] { nodes.filter { $0.value.isConnected }.map(\.key).sorted() }
}
