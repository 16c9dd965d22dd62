import Foundation
import KKLobbyCore
import KKRedis

/// Why the room store refused.
public enum LobbyStoreError: Error, Equatable, Sendable {
    /// The room's rules refused the command (its stable code goes to the client).
    case room(RoomError)
    case unknownRoom
    case unknownCode
    /// A player of the command is in another room already.
    case inAnotherRoom(Int64)
    /// Too many concurrent changes to one room (retries exhausted).
    case contended
    case redis(String)
}

/// Rooms in Redis, so any lobby instance can serve any room: each room is its JSON under
/// `<prefix>lobby:room:<id>`, a private room's code points at it, every member has a pointer
/// `<prefix>lobby:player:<account>` (one room per player), public rooms with free seats are in
/// `<prefix>lobby:public`. A change reads the room, applies one ``Room`` command and writes it
/// back with one compare-and-set script that also moves the member pointers (refusing a player
/// who is in another room), so two instances changing one room at once never lose an update:
/// the loser re-reads and re-applies. Keys expire after ``ttlMillis`` without a change.
public struct RoomStore: Sendable {
    public let redis: RedisCommandBridge
    public let prefix: String
    public let rules: LobbyRules
    public var ttlMillis: Int64 = 3_600_000

    public init(redis: RedisCommandBridge, prefix: String, rules: LobbyRules) {
        self.redis = redis; self.prefix = prefix; self.rules = rules
    }

    func roomKey(_ id: String) -> String { prefix + "lobby:room:" + id }
    func codeKey(_ code: String) -> String { prefix + "lobby:code:" + code }
    func playerKey(_ account: Int64) -> String { prefix + "lobby:player:\(account)" }
    var publicKey: String { prefix + "lobby:public" }
    /// Rooms with a timer (countdown end, a held seat running out, a start in progress), scored
    /// by when it is due: every lobby instance's ``LobbySweeper`` reads it.
    var dueKey: String { prefix + "lobby:due" }

    /// The compare-and-set of one room: KEYS 1 room, 2 public set, 3 due set; ARGV 1 old JSON
    /// ('' = new room), 2 new JSON ('' = delete), 3 TTL ms, 4 prefix, 5 room id, 6 public
    /// ('1'/'0'), 7 code ('' none), 8 due millis ('' none: no timer), 9 joiners count, then
    /// joiners, then leavers. Returns 'ok', 'changed' or {'busy', account}.
    static let compareAndSet = #"""
    -- kk-lobby room cas v2
    local cur = redis.call('GET', KEYS[1])
    if (ARGV[1] == '' and cur) or (ARGV[1] ~= '' and cur ~= ARGV[1]) then return 'changed' end
    local prefix, id, ttl = ARGV[4], ARGV[5], ARGV[3]
    local nj = tonumber(ARGV[9])
    for i = 10, 9 + nj do
      local p = redis.call('GET', prefix .. 'lobby:player:' .. ARGV[i])
      if p and p ~= id then return {'busy', ARGV[i]} end
    end
    for i = 10, 9 + nj do redis.call('SET', prefix .. 'lobby:player:' .. ARGV[i], id, 'PX', ttl) end
    for i = 10 + nj, #ARGV do
      local k = prefix .. 'lobby:player:' .. ARGV[i]
      if redis.call('GET', k) == id then redis.call('DEL', k) end
    end
    if ARGV[2] == '' then
      redis.call('DEL', KEYS[1])
      redis.call('SREM', KEYS[2], id)
      redis.call('ZREM', KEYS[3], id)
      if ARGV[7] ~= '' then redis.call('DEL', prefix .. 'lobby:code:' .. ARGV[7]) end
      return 'ok'
    end
    if ARGV[8] == '' then redis.call('ZREM', KEYS[3], id) else redis.call('ZADD', KEYS[3], ARGV[8], id) end
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
    if ARGV[7] ~= '' then redis.call('SET', prefix .. 'lobby:code:' .. ARGV[7], id, 'PX', ttl) end
    if ARGV[6] == '1' then redis.call('SADD', KEYS[2], id) else redis.call('SREM', KEYS[2], id) end
    return 'ok'
    """#

    /// A new room hosted by `host` (private with a code from `random` unless `isPublic`).
    public func create(host: Int64, isPublic: Bool, random: [UInt8], nowMillis: Int64) async throws(LobbyStoreError) -> Room {
        let id = UUID().uuidString.lowercased()
        for attempt in 0..<4 {
            var code: String?
            if !isPublic {
                let c = RoomCode.make(from: Array(random.dropFirst(attempt)) + random.prefix(attempt), rules: rules)
                // Claim the code first (a code maps to one live room).
                let claimed = await redis.command(["SET", .string(codeKey(c)), .string(id), "NX", "PX", .int(ttlMillis)])
                guard claimed == .status("OK") else {
                    if case .failed(let e) = claimed { throw .redis(e.message) }
                    continue
                }
                code = c
            }
            let room = Room(id: id, code: code, host: host, rules: rules, nowMillis: nowMillis)
            try await write(old: nil, new: room, joiners: [host], leavers: [], nowMillis: nowMillis)
            return room
        }
        throw .contended
    }

    public func room(_ id: String) async throws(LobbyStoreError) -> Room? {
        try await read(id)?.room
    }

    /// The room a code opens.
    public func roomId(code: String) async throws(LobbyStoreError) -> String {
        guard let c = RoomCode.normalize(code, rules: rules) else { throw .unknownCode }
        let r = await redis.command(["GET", .string(codeKey(c))])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard let id = r.text else { throw .unknownCode }
        return id
    }

    /// The room `account` is in, if any.
    public func roomOf(_ account: Int64) async throws(LobbyStoreError) -> String? {
        let r = await redis.command(["GET", .string(playerKey(account))])
        if case .failed(let e) = r { throw .redis(e.message) }
        return r.text
    }

    /// Applies `command` to room `id` (re-reading and re-applying when another instance changed
    /// it meanwhile); returns the room after it and the events. A room whose last member left is
    /// deleted.
    public func apply(_ id: String, nowMillis: Int64 = 0,
                      _ command: (inout Room) throws(RoomError) -> [RoomEvent]) async throws(LobbyStoreError) -> (Room, [RoomEvent]) {
        for attempt in 0..<Self.maxAttempts {
            if attempt >= 2 { try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 * attempt)))) }
            guard let (old, oldJSON) = try await read(id) else { throw .unknownRoom }
            var room = old
            let events: [RoomEvent]
            do throws(RoomError) { events = try command(&room) } catch { throw .room(error) }
            let before = Set(old.accounts), after = Set(room.accounts)
            do {
                try await write(old: oldJSON, new: room.isEmpty ? nil : room, joiners: Array(after.subtracting(before)),
                                leavers: Array(before.subtracting(after)), roomId: id, code: room.code, nowMillis: nowMillis)
                return (room, events)
            } catch LobbyStoreError.contended {
                continue
            }
        }
        throw .contended
    }

    /// Compare-and-set attempts before a change gives up (``LobbyStoreError/contended``): eight
    /// members readying at once all land, retrying with a growing random pause after the second try.
    static let maxAttempts = 32

    /// How long the instance that starts a room's race may take before another instance's
    /// sweeper tries again (the starter died): the seats it already allocated are found again.
    public static let startLeaseMillis: Int64 = 10_000

    /// When the room's next timer is due: the countdown's end, the earliest held seat running
    /// out, or the start lease; nil when nothing waits.
    static func due(of room: Room, nowMillis: Int64) -> Int64? {
        var due: Int64?
        switch room.phase {
        case .countdown(let at): due = at
        case .starting: return nowMillis + startLeaseMillis
        case .open: break
        }
        for m in room.members { if let h = m.heldUntilMillis { due = min(due ?? h, h) } }
        return due
    }

    /// Rooms whose timer is due by `nowMillis` (at most `limit`).
    public func dueRooms(nowMillis: Int64, limit: Int = 100) async throws(LobbyStoreError) -> [String] {
        let r = await redis.command(["ZRANGEBYSCORE", .string(dueKey), "-inf", .int(nowMillis), "LIMIT", "0", .int(Int64(limit))])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard case .array(let items) = r else { return [] }
        return items.compactMap(\.text)
    }

    /// Drops a timer entry whose room is gone.
    func forgetDue(_ id: String) async {
        _ = await redis.command(["ZREM", .string(dueKey), .string(id)])
    }

    /// Public rooms with free seats (at most `limit`, in no particular order).
    public func publicRooms(limit: Int = 20) async throws(LobbyStoreError) -> [String] {
        let r = await redis.command(["SRANDMEMBER", .string(publicKey), .int(Int64(limit))])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard case .array(let items) = r else { return [] }
        return items.compactMap(\.text)
    }

    /// Removes a room whose race started (every member's pointer, its code, its timer).
    public func close(_ id: String) async throws(LobbyStoreError) {
        do throws(LobbyStoreError) {
            _ = try await apply(id) { (r) throws(RoomError) in r.disband() }
        } catch {
            if error != .unknownRoom { throw error }
        }
    }

    private func read(_ id: String) async throws(LobbyStoreError) -> (room: Room, json: String)? {
        let r = await redis.command(["GET", .string(roomKey(id))])
        if case .failed(let e) = r { throw .redis(e.message) }
        guard let text = r.text else { return nil }
        guard let room = try? JSONDecoder().decode(Room.self, from: Data(text.utf8)) else { throw .redis("room \(id) is damaged") }
        return (room, text)
    }

    /// One compare-and-set; `.contended` when the room changed since `old` was read.
    private func write(old: String?, new: Room?, joiners: [Int64], leavers: [Int64], roomId: String? = nil,
                       code: String? = nil, nowMillis: Int64 = 0) async throws(LobbyStoreError) {
        let id = roomId ?? new!.id
        let newJSON = new.flatMap { try? JSONEncoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let isPublic = new.map { $0.code == nil && $0.freeSeats(rules) > 0 && $0.phase == .open } ?? false
        let due = new.flatMap { Self.due(of: $0, nowMillis: nowMillis) }.map { String($0) } ?? ""
        let args: [RedisArg] = [.string(old ?? ""), .string(newJSON), .int(ttlMillis), .string(prefix), .string(id),
                                .string(isPublic ? "1" : "0"), .string(code ?? new?.code ?? ""), .string(due),
                                .int(Int64(joiners.count))]
            + joiners.map { .int($0) } + leavers.map { .int($0) }
        let r = await redis.script(Self.compareAndSet, keys: [.string(roomKey(id)), .string(publicKey), .string(dueKey)], args: args)
        switch r {
        case .status("OK"), .string(Array("ok".utf8)): return
        case .string(Array("changed".utf8)): throw .contended
        case .array(let items) where items.first?.text == "busy": throw .inAnotherRoom(Int64(items.last?.text ?? "") ?? 0)
        case .failed(let e): throw .redis(e.message)
        default: throw .redis("unexpected reply \(r)")
        }
    }
}
