import CHiredis
import KKLoop

/// The reply closure of one command in flight; retained in hiredis' privdata until its callback.
private final class ReplyBox {
    let client: RedisClient
    let reply: (RedisReply) -> Void
    init(_ client: RedisClient, _ reply: @escaping (RedisReply) -> Void) {
        self.client = client
        self.reply = reply
    }
}

/// Commands that change the connection's reply mode; hiredis 0.14 would call their callback
/// more than once (or assert), so they only go through ``RedisSubscriber``.
private let modeCommands: Set<String> = ["subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                                         "sunsubscribe", "monitor"]

/// `.unsupportedCommand` when `args` is one of ``modeCommands`` (checked on either path: one
/// connection or a cluster's router).
private func modeCommandRefusal(_ args: [[UInt8]]) -> RedisError? {
    guard let name = args.first, name.count <= 12, modeCommands.contains(String(decoding: name, as: UTF8.self).lowercased()) else { return nil }
    return .unsupportedCommand(String(decoding: name, as: UTF8.self))
}

extension RedisClient {
    /// Sends a command; `reply` runs exactly once on the loop thread. Returns false (after calling
    /// `reply` synchronously with `.failed(RedisError)`) when refused:
    /// disconnected, closed, too many in flight, or a pub/sub / MONITOR command.
    @discardableResult
    public func command(_ args: [RedisArg], reply: @escaping (RedisReply) -> Void) -> Bool {
        command(args.map(\.bytes), reply: reply)
    }

    /// Text arguments (sent as their UTF-8 bytes).
    @discardableResult
    public func command(_ args: [String], reply: @escaping (RedisReply) -> Void) -> Bool {
        command(args.map { Array($0.utf8) }, reply: reply)
    }

    /// Binary-safe arguments.
    @discardableResult
    public func command(_ args: [[UInt8]], reply: @escaping (RedisReply) -> Void) -> Bool {
        if let router {
            if let refusal = modeCommandRefusal(args) {
                stats.refusedOther += 1
                reply(.failed(refusal))
                return false
            }
            var sent = true
            router.send(args) { r in
                if case .failed = r { sent = false }
                reply(r)
            }
            return sent
        }
        if let refusal = refusal(args) {
            switch refusal {
            case .disconnected, .closed: stats.refusedDisconnected += 1
            case .tooManyInFlight: stats.refusedInFlight += 1
            default: stats.refusedOther += 1
            }
            reply(.failed(refusal))
            return false
        }
        let ac = context!
        let box = Unmanaged.passRetained(ReplyBox(self, reply))
        let rc = Self.withArgv(args) { argc, argv, lens in
            redisAsyncCommandArgv(ac, { _, r, priv in
                guard let priv else { return }
                let box = Unmanaged<ReplyBox>.fromOpaque(priv).takeRetainedValue()
                box.client.didReply(r, to: box.reply)
            }, box.toOpaque(), argc, argv, lens)
        }
        guard rc == crelay_redis_ok() else {
            box.release()
            let closing = ac.pointee.c.flags & crelay_redis_flag_closing() != 0
            stats.refusedOther += closing ? 0 : 1
            stats.refusedDisconnected += closing ? 1 : 0
            reply(.failed(closing ? .disconnected : .rejected))
            return false
        }
        inFlight += 1
        return true
    }

    private func refusal(_ args: [[UInt8]]) -> RedisError? {
        if phase == .closed { return .closed }
        guard isConnected else { return .disconnected }
        guard !args.isEmpty else { return .rejected }
        if let refusal = modeCommandRefusal(args) { return refusal }
        if inFlight >= options.maxInFlight { return .tooManyInFlight }
        return nil
    }

    private func didReply(_ r: UnsafeMutableRawPointer?, to reply: (RedisReply) -> Void) {
        inFlight -= 1
        if let r {
            reply(RedisReply(copying: r.assumingMemoryBound(to: redisReply.self)))
        } else {
            stats.lostInFlight += 1
            reply(.failed(phase == .closed ? .closed : .connectionLost))
        }
    }

    /// Sends SUBSCRIBE for `channels`; replies and messages go to ``pubSubHandler``. The
    /// callback has no privdata: hiredis calls it once per message, and with NULL at teardown.
    func subscribe(channels: [[UInt8]]) -> Bool {
        guard isConnected, let ac = context, !channels.isEmpty else { return false }
        let rc = Self.withArgv([Array("SUBSCRIBE".utf8)] + channels) { argc, argv, lens in
            redisAsyncCommandArgv(ac, { ac, r, _ in
                guard let ac, let r, let data = ac.pointee.data else { return }
                let client = Unmanaged<RedisClient>.fromOpaque(data).takeUnretainedValue()
                client.pubSubHandler(RedisReply(copying: r.assumingMemoryBound(to: redisReply.self)))
            }, nil, argc, argv, lens)
        }
        return rc == crelay_redis_ok()
    }

    /// Lays the arguments out in one buffer and calls `body` with hiredis' argc/argv/argvlen.
    /// hiredis copies them before returning.
    static func withArgv(_ args: [[UInt8]],
                         _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Int32) -> Int32 {
        var flat: [UInt8] = []
        flat.reserveCapacity(args.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        var lens: [Int] = []
        offsets.reserveCapacity(args.count)
        lens.reserveCapacity(args.count)
        for a in args {
            offsets.append(flat.count)
            lens.append(a.count)
            flat.append(contentsOf: a)
        }
        flat.append(0)  // never an empty buffer (no nil base address)
        return flat.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base + $0) }
            return argv.withUnsafeMutableBufferPointer { av in
                lens.withUnsafeBufferPointer { lp in body(Int32(args.count), av.baseAddress!, lp.baseAddress!) }
            }
        }
    }
}

extension RedisReply {
    /// Deep copy of a hiredis reply.
    init(copying r: UnsafePointer<redisReply>) {
        let p = r.pointee
        func bytes() -> [UInt8] {
            guard let s = p.str, p.len > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: s, count: Int(p.len)))
        }
        switch p.type {
        case REDIS_REPLY_STRING: self = .string(bytes())
        case REDIS_REPLY_INTEGER: self = .integer(Int64(p.integer))
        case REDIS_REPLY_NIL: self = .nil
        case REDIS_REPLY_STATUS: self = .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR: self = .error(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(Int(p.elements))
            for i in 0..<Int(p.elements) {
                if let e = p.element[i] { items.append(RedisReply(copying: e)) } else { items.append(.nil) }
            }
            self = .array(items)
        default: self = .error("unknown reply type \(p.type)")
        }
    }
}
