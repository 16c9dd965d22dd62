import KKRedis

/// One allocator script call: its source, keys and arguments, built in one place for the
/// loop-bound ``MatchAllocator`` and for async callers that run scripts through a
/// ``RedisCommandBridge`` (the lobby starting a room's match); and the parsing of its replies.
public struct AllocatorRequest: Sendable {
    public let source: String
    public let keys: [RedisArg]
    public let args: [RedisArg]

    /// A seat for one player (``AllocatorScripts/allocate``).
    /// `trace`: the request's W3C `traceparent`, recorded in a match this creates.
    public static func allocate(playerId: UInt64, nowMillis: UInt64, config: AllocatorConfig, trace: String? = nil) -> AllocatorRequest {
        let k = config.keys
        return AllocatorRequest(
            source: AllocatorScripts.allocate,
            keys: [.string(k.playerMatch(playerId)), .string(k.openMatches), .string(k.shards),
                   .string(k.matchSeq), .string(k.activeMatches), .string(k.events)],
            args: [.string(k.shared), .string(String(playerId)), .int(Int64(config.playersPerMatch)),
                   .string(config.track), .string(String(nowMillis)),
                   .string(String(config.ownershipTTLMillis)), .string(String(config.playerTTLMillis)),
                   traceArgument(trace)])
    }

    /// Seats for a group in one match (``AllocatorScripts/allocateGroup``). `privateMatch`: a new
    /// match for the group alone, on `track`, never offered to others (a lobby room); otherwise
    /// an open match with room may be shared (a party in quick play).
    /// `trace`: the caller's W3C `traceparent`, recorded in a match this creates.
    public static func group(players: [UInt64], ticketId: String, nowMillis: UInt64, config: AllocatorConfig,
                             track: String? = nil, privateMatch: Bool = false, trace: String? = nil) -> AllocatorRequest {
        let k = config.keys
        return AllocatorRequest(
            source: AllocatorScripts.allocateGroup,
            keys: [.string(k.openMatches), .string(k.shards), .string(k.matchSeq), .string(k.activeMatches), .string(k.events)],
            args: [.string(k.shared), .int(Int64(config.playersPerMatch)), .string(track ?? config.track), .string(String(nowMillis)),
                   .string(String(config.ownershipTTLMillis)), .string(String(config.playerTTLMillis)), .string(ticketId),
                   .string(privateMatch ? "1" : "0"), traceArgument(trace)]
                + players.map { .string(String($0)) })
    }

    /// A `traceparent` as a script argument ('' none; longer than a W3C header: none).
    private static func traceArgument(_ trace: String?) -> RedisArg { .string(trace.flatMap { $0.count <= 64 ? $0 : nil } ?? "") }

    /// The live, non-draining relays' addresses (``AllocatorScripts/liveRelays``).
    public static func liveRelays(config: AllocatorConfig) -> AllocatorRequest {
        AllocatorRequest(source: AllocatorScripts.liveRelays, keys: [.string(config.keys.relays)], args: [.string(config.keys.shared)])
    }

    /// The owner lease and first epoch of a match the allocation just created (``createdMatch(in:)``),
    /// written on the match's own keys right after the directory script
    /// (``MatchLeaseScripts/claim``; on a cluster they live in another slot). Should this step
    /// never run, the shard that hosts the match claims the lease itself.
    public static func claim(matchId: UInt64, shardId: String, config: AllocatorConfig) -> AllocatorRequest {
        AllocatorRequest(source: MatchLeaseScripts.claim,
                         keys: [.string(config.keys.matchOwner(matchId)), .string(config.keys.matchEpoch(matchId))],
                         args: [.string(shardId), .string(String(config.ownershipTTLMillis))])
    }

    /// The match and shard when an allocation's reply says it created a new match.
    public static func createdMatch(in reply: RedisReply) -> (matchId: UInt64, shardId: String)? {
        guard case .array(let items) = reply, items.count == 5 else { return nil }
        let f = items.map { $0.text ?? "" }
        guard f[0] == "ok", f[4] == "created", let mid = UInt64(f[1]) else { return nil }
        return (mid, f[2])
    }

    /// A one-player allocation's reply.
    public static func parseAllocation(_ reply: RedisReply) -> Result<Allocation, MatchError> {
        MatchAllocator.parseAllocation(reply)
    }

    /// A group allocation's reply (its refusals as their errors).
    public static func parseGroup(_ reply: RedisReply) -> Result<Allocation, MatchError> {
        switch MatchAllocator.parseAllocation(reply) {
        case .success(let a): .success(a)
        case .failure(.unexpectedReply("member_in_match")): .failure(.partyBusy)
        case .failure(.unexpectedReply("ticket_used")): .failure(.ticketUsed)
        case .failure(.unexpectedReply("group_size")): .failure(.badRequest("the party is larger than a match"))
        case .failure(let e): .failure(e)
        }
    }

    /// The relay list reply.
    public static func parseRelays(_ reply: RedisReply) -> Result<[String], MatchError> {
        switch reply {
        case .array(let items): .success(items.compactMap(\.text))
        case .failed(let e): .failure(MatchAllocator.redisFailure(e))
        case .error(let e): .failure(.unexpectedReply(e))
        default: .failure(.unexpectedReply("\(reply)"))
        }
    }
}
