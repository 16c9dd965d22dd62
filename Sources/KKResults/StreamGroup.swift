import KKRedis

/// One consumer of a Redis stream's consumer group (the results and telemetry consumers read
/// their streams this way): its own pending entries first, then entries other consumers left
/// pending too long (XAUTOCLAIM), then new ones; an entry is acknowledged only once handled.
struct StreamGroup: Sendable {
    /// One stream entry: its id and fields.
    struct Entry: Sendable { var id: String; var fields: [String: String] }

    let redis: RedisCommandBridge
    let stream: String
    let group: String
    let consumer: String
    let batch: Int
    let claimIdleMillis: Int64

    /// Creates the group (with the stream) if needed; retries every second until Redis answers
    /// or the task is cancelled.
    func ensureGroup() async {
        while !Task.isCancelled {
            let created = await redis.command(["XGROUP", "CREATE", .string(stream), .string(group), "0", "MKSTREAM"])
            if case .failed = created { try? await Task.sleep(for: .seconds(1)); continue }
            return
        }
    }

    /// The next entries to handle: own pending, then stale ones of others, then new ones
    /// (waiting up to `blockMillis` for them).
    func next(blockMillis: Int) async -> [Entry] {
        var entries = await read(from: "0", block: nil)
        if entries.isEmpty { entries = await claimStale() }
        if entries.isEmpty { entries = await read(from: ">", block: blockMillis) }
        return entries
    }

    func ack(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        _ = await redis.command(["XACK", .string(stream), .string(group)] + ids.map { .string($0) })
    }

    /// Entries pending in the group (XPENDING's count; nil when Redis does not answer).
    func pendingCount() async -> Int? {
        guard case .array(let p) = await redis.command(["XPENDING", .string(stream), .string(group)]), case .integer(let n)? = p.first else { return nil }
        return Int(n)
    }

    /// XREADGROUP from `id` ("0": this consumer's pending entries; ">": new ones).
    func read(from id: String, block: Int?) async -> [Entry] {
        var args: [RedisArg] = ["XREADGROUP", "GROUP", .string(group), .string(consumer), "COUNT", .int(Int64(batch))]
        if let block { args += ["BLOCK", .int(Int64(block))] }
        args += ["STREAMS", .string(stream), .string(id)]
        let r = await redis.command(args)
        guard case .array(let streams) = r, let first = streams.first, case .array(let pair) = first, pair.count == 2,
              case .array(let items) = pair[1] else { return [] }
        return items.compactMap(Self.entry)
    }

    /// Entries pending on other (dead) consumers longer than the claim idle time.
    func claimStale() async -> [Entry] {
        let r = await redis.command(["XAUTOCLAIM", .string(stream), .string(group), .string(consumer),
                                     .int(claimIdleMillis), "0", "COUNT", .int(Int64(batch))])
        guard case .array(let parts) = r, parts.count >= 2, case .array(let items) = parts[1] else { return [] }
        return items.compactMap(Self.entry)
    }

    static func entry(_ item: RedisReply) -> Entry? {
        guard case .array(let pair) = item, pair.count == 2, let id = pair[0].text else { return nil }
        var fields: [String: String] = [:]
        if case .array(let kv) = pair[1] {
            var i = 0
            while i + 1 < kv.count {
                if let k = kv[i].text, let v = kv[i + 1].text { fields[k] = v }
                i += 2
            }
        }
        return Entry(id: id, fields: fields)
    }
}
