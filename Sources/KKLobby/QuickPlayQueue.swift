import Foundation
import KKLobbyCore
import KKRedis

/// Why the quick-play queue refused.
public enum QueueStoreError: Error, Equatable, Sendable {
    /// A player of the ticket already waits in another ticket.
    case alreadyQueued(Int64)
    /// A player of the ticket sits in a room (leave it first).
    case inRoom(Int64)
    case notQueued
    case redis(String)
}

/// Quick-play tickets in Redis, so any lobby instance can take a ticket and any one can form
/// matches: each waiting ticket is its JSON in the hash `<prefix>lobby:mm:tickets`, every
/// player of it points at it (`<prefix>lobby:mm:player:<account>`, one ticket per player).
/// Forming runs on one instance at a time (a lease, `<prefix>lobby:mm:lock`): it reads the
/// tickets, lets ``Matchmaker`` group them, and takes each group's tickets out with one script
/// that refuses when any of them was cancelled meanwhile (the group is then formed again next
/// round without it). Tickets expire after ``ttlMillis`` (a client that vanished).
public struct QuickPlayQueue: Sendable {
    public let redis: RedisCommandBridge
    public let prefix: String
    public let rules: MatchmakingRules
    public var ttlMillis: Int64 = 600_000
    /// At most this many tickets are read per forming round (the oldest are not favoured beyond
    /// this: a deployment that queues more runs more regions' lobbies).
    public var maxTicketsPerRound = 20_000

    public init(redis: RedisCommandBridge, prefix: String, rules: MatchmakingRules) {
        self.redis = redis; self.prefix = prefix; self.rules = rules
    }

    var ticketsKey: String { prefix + "lobby:mm:tickets" }
    var lockKey: String { prefix + "lobby:mm:lock" }
    func playerKey(_ a: Int64) -> String { prefix + "lobby:mm:player:\(a)" }

    /// KEYS 1 tickets; ARGV 1 prefix, 2 id, 3 JSON, 4 TTL ms, then players.
    static let enqueueScript = #"""
    -- kk-lobby queue enqueue v1
    local prefix = ARGV[1]
    for i = 5, #ARGV do
      if redis.call('EXISTS', prefix .. 'lobby:mm:player:' .. ARGV[i]) == 1 then return {'queued', ARGV[i]} end
      if redis.call('EXISTS', prefix .. 'lobby:player:' .. ARGV[i]) == 1 then return {'inroom', ARGV[i]} end
    end
    redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
    for i = 5, #ARGV do redis.call('SET', prefix .. 'lobby:mm:player:' .. ARGV[i], ARGV[2], 'PX', ARGV[4]) end
    return 'ok'
    """#

    /// KEYS 1 tickets; ARGV 1 prefix, then ticket ids. Takes all of them or none ('gone').
    static let takeScript = #"""
    -- kk-lobby queue take v1
    local prefix = ARGV[1]
    for i = 2, #ARGV do
      if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 'gone' end
    end
    for i = 2, #ARGV do
      local t = cjson.decode(redis.call('HGET', KEYS[1], ARGV[i]))
      for _, p in ipairs(t.players) do
        local k = prefix .. 'lobby:mm:player:' .. string.format('%d', p)
        if redis.call('GET', k) == ARGV[i] then redis.call('DEL', k) end
      end
      redis.call('HDEL', KEYS[1], ARGV[i])
    end
    return 'ok'
    """#

    /// Queues a ticket (its id is new).
    public func enqueue(_ t: Matchmaker.Ticket) async throws(QueueStoreError) {
        guard let json = try? JSONEncoder().encode(t) else { throw .redis("ticket not encodable") }
        let r = await redis.script(Self.enqueueScript, keys: [.string(ticketsKey)],
                                   args: [.string(prefix), .string(t.id), .string(String(decoding: json, as: UTF8.self)), .int(ttlMillis)]
                                       + t.players.map { .int($0) })
        switch r {
        case .string(Array("ok".utf8)), .status("OK"): return
        case .array(let a) where a.first?.text == "queued": throw .alreadyQueued(Int64(a.last?.text ?? "") ?? 0)
        case .array(let a) where a.first?.text == "inroom": throw .inRoom(Int64(a.last?.text ?? "") ?? 0)
        case .failed(let e): throw .redis(e.message)
        default: throw .redis("unexpected reply \(r)")
        }
    }

    /// The ticket `account` waits in, if any.
    public func ticket(of account: Int64) async throws(QueueStoreError) -> Matchmaker.Ticket? {
        let r = await redis.command(["GET", .string(playerKey(account))])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard let id = r.text else { return nil }
        let t = await redis.command(["HGET", .string(ticketsKey), .string(id)])
        guard let text = t.text else { return nil }
        return try? JSONDecoder().decode(Matchmaker.Ticket.self, from: Data(text.utf8))
    }

    /// Cancels `account`'s ticket (the whole ticket: a party's leader or member cancels it for
    /// all); the cancelled ticket, or nil when there was none.
    public func cancel(account: Int64) async throws(QueueStoreError) -> Matchmaker.Ticket? {
        guard let t = try await ticket(of: account) else { return nil }
        return try await take([t.id]) ? t : nil
    }

    /// Takes tickets out of the queue, all or none; false when any of them is gone.
    public func take(_ ids: [String]) async throws(QueueStoreError) -> Bool {
        let r = await redis.script(Self.takeScript, keys: [.string(ticketsKey)], args: [.string(prefix)] + ids.map { .string($0) })
        switch r {
        case .string(Array("ok".utf8)): return true
        case .string(Array("gone".utf8)): return false
        case .failed(let e): throw .redis(e.message)
        default: throw .redis("unexpected reply \(r)")
        }
    }

    /// Waiting tickets, oldest first.
    public func waiting() async throws(QueueStoreError) -> [Matchmaker.Ticket] {
        let r = await redis.command(["HGETALL", .string(ticketsKey)])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard case .array(let items) = r else { return [] }
        var out: [Matchmaker.Ticket] = []
        var i = 1
        let decoder = JSONDecoder()
        while i < items.count, out.count < maxTicketsPerRound {
            if let text = items[i].text, let t = try? decoder.decode(Matchmaker.Ticket.self, from: Data(text.utf8)) { out.append(t) }
            i += 2
        }
        return out.sorted { ($0.enqueuedAtMillis, $0.id) < ($1.enqueuedAtMillis, $1.id) }
    }

    public var count: Int {
        get async {
            if case .integer(let n) = await redis.command(["HLEN", .string(ticketsKey)]) { return Int(n) }
            return 0
        }
    }

    /// Takes the forming lease for `millis` (true: this instance forms this round).
    public func lease(owner: String, millis: Int64) async -> Bool {
        await redis.command(["SET", .string(lockKey), .string(owner), "NX", "PX", .int(millis)]) == .status("OK")
    }

    static let releaseScript = #"""
    -- kk-lobby queue release v1
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """#

    public func release(owner: String) async {
        _ = await redis.script(Self.releaseScript, keys: [.string(lockKey)], args: [.string(owner)])
    }

    /// One forming round: the groups that form now, already taken out of the queue.
    public func formRound(nowMillis: Int64) async throws(QueueStoreError) -> [[Matchmaker.Ticket]] {
        var mm = Matchmaker(rules: rules)
        for t in try await waiting() { try? mm.enqueue(t) }
        var taken: [[Matchmaker.Ticket]] = []
        for group in mm.formMatches(nowMillis: nowMillis) {
            if try await take(group.map(\.id)) { taken.append(group) }
        }
        return taken
    }
}
