import KKLoop
import KKRedis

/// Allocation policy knobs shared by the allocator and the service.
public struct AllocatorConfig: Sendable {
    /// Key prefix (``MatchKeys``).
    public var keys: MatchKeys
    /// Player slots per match.
    public var playersPerMatch: Int
    /// Track name written into new matches.
    public var track: String
    /// Lifetime of a new match's owner lease before its shard renews it; also how long a match
    /// counts as allocated-but-not-yet-hosted against its shard's capacity.
    public var ownershipTTLMillis: UInt64
    /// Lifetime of `kk:player:{pid}:match` (the token validity).
    public var playerTTLMillis: UInt64

    public init(keys: MatchKeys = MatchKeys(), playersPerMatch: Int = 8, track: String = "oval",
                ownershipTTLMillis: UInt64 = 5_000, playerTTLMillis: UInt64 = 60_000) {
        self.keys = keys
        self.playersPerMatch = max(1, playersPerMatch)
        self.track = track
        self.ownershipTTLMillis = max(1, ownershipTTLMillis)
        self.playerTTLMillis = max(1, playerTTLMillis)
    }
}

/// Runs the allocation script (one EVALSHA per request) on a ``RedisClient``. Loop-thread only:
/// use ``MatchBridge`` from async code.
public final class MatchAllocator {
    public let config: AllocatorConfig
    private let client: RedisClient
    private let allocateScript = RedisScript(AllocatorScripts.allocate)
    private let relaysScript = RedisScript(AllocatorScripts.liveRelays)
    private let groupScript = RedisScript(AllocatorScripts.allocateGroup)
    private let claimScript = RedisScript(MatchLeaseScripts.claim)

    public init(client: RedisClient, config: AllocatorConfig) {
        self.client = client
        self.config = config
    }

    /// Sends SCRIPT LOAD for both scripts (call on connect): commands are answered in order, so
    /// EVALSHAs sent afterwards on this connection find them even after a server restart, and a
    /// burst of first requests does not all take the NOSCRIPT + EVAL path.
    public func preloadScripts() {
        for script in [allocateScript, relaysScript, groupScript, claimScript] {
            client.command(["SCRIPT", "LOAD", script.source]) { _ in }
        }
    }

    /// How many script runs needed the EVAL fallback (NOSCRIPT).
    public var scriptFallbacks: Int { allocateScript.fallbacks + relaysScript.fallbacks + groupScript.fallbacks }

    /// Allocates `playerId` at unix time `nowMillis`; `done` runs exactly once on the loop thread.
    public func allocate(playerId: UInt64, nowMillis: UInt64, trace: String? = nil, done: @escaping (Result<Allocation, MatchError>) -> Void) {
        let r = AllocatorRequest.allocate(playerId: playerId, nowMillis: nowMillis, config: config, trace: trace)
        allocateScript.run(on: client, keys: r.keys, args: r.args) { [self] reply in claimIfCreated(reply) { done(Self.parseAllocation(reply)) } }
    }

    /// Seats all `players` (a party) in one match on one shard, atomically; each then gets its
    /// seat from ``allocate(playerId:nowMillis:done:)``. `done` runs exactly once; the result's
    /// slot is 0 and its kind ``Allocation/Kind/group``.
    /// `ticketId`: the party ticket's id; a ticket is taken once (``MatchError/ticketUsed``).
    public func allocateGroup(players: [UInt64], ticketId: String, nowMillis: UInt64,
                              done: @escaping (Result<Allocation, MatchError>) -> Void) {
        let r = AllocatorRequest.group(players: players, ticketId: ticketId, nowMillis: nowMillis, config: config)
        groupScript.run(on: client, keys: r.keys, args: r.args) { [self] reply in claimIfCreated(reply) { done(AllocatorRequest.parseGroup(reply)) } }
    }

    /// A new match's owner lease and epoch (``AllocatorRequest/claim(matchId:shardId:config:)``)
    /// before the allocation is answered; whatever that step's outcome.
    private func claimIfCreated(_ reply: RedisReply, then: @escaping () -> Void) {
        guard let (mid, sid) = AllocatorRequest.createdMatch(in: reply) else { return then() }
        let c = AllocatorRequest.claim(matchId: mid, shardId: sid, config: config)
        claimScript.run(on: client, keys: c.keys, args: c.args) { _ in then() }
    }

    /// Reads the addresses of live, non-draining relays; `done` runs exactly once.
    public func liveRelays(done: @escaping (Result<[String], MatchError>) -> Void) {
        let r = AllocatorRequest.liveRelays(config: config)
        relaysScript.run(on: client, keys: r.keys, args: r.args) { reply in done(AllocatorRequest.parseRelays(reply)) }
    }

    public static func parseAllocation(_ reply: RedisReply) -> Result<Allocation, MatchError> {
        switch reply {
        case .failed(let e):
            return .failure(redisFailure(e))
        case .error(let e):
            return .failure(.unexpectedReply(e))
        case .array(let items):
            let f = items.map { $0.text ?? "" }
            if f.count == 2, f[0] == "err" {
                return .failure(f[1] == "no_shard" ? .noShardAvailable : .unexpectedReply(f[1]))
            }
            if f.count >= 4, f[0] == "ok", f[3] == "group", let mid = UInt64(f[1]) {
                return .success(Allocation(matchId: mid, shardId: f[2], slot: 0, kind: .group))
            }
            guard f.count == 5, f[0] == "ok", f[3] != "group", let mid = UInt64(f[1]), let slot = Int(f[3]),
                  let kind = Allocation.Kind(rawValue: f[4]) else { return .failure(.unexpectedReply("\(f)")) }
            return .success(Allocation(matchId: mid, shardId: f[2], slot: slot, kind: kind))
        default:
            return .failure(.unexpectedReply("\(reply)"))
        }
    }

    /// Commands Redis never answered: refusals and lost connections are "Redis unavailable"
    /// (too many in flight: "overloaded"); the rest are client-side bugs, reported as unexpected.
    /// (Server errors such as script bugs or OOM arrive as `.error` and are unexpected replies.)
    public static func redisFailure(_ error: RedisError) -> MatchError {
        switch error {
        case .tooManyInFlight: .overloaded
        case .disconnected, .connectionLost, .closed: .redisUnavailable(error)
        case .unsupportedCommand, .rejected, .unexpectedReply: .unexpectedReply(error.message)
        }
    }
}
