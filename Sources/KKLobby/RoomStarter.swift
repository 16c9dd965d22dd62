import Foundation
import KKMatch
import Tracing
import KKRedis
import KKToken

/// Starts a room's race: one private match for all its members on one shard (the allocator's
/// group script, atomically; never offered to other players), then each member's seat and a
/// connect token for it, for the lobby to push over the member's socket. The same allocator
/// scripts as kk-match, run through the lobby's ``RedisCommandBridge``.
public struct RoomStarter: Sendable {
    public let redis: RedisCommandBridge
    public let config: AllocatorConfig
    public let issuer: LockedIssuer
    public let matchConfig: MatchServiceConfig
    /// Each track's version (name -> SHA-256 of its bundle) the race is pinned to: the
    /// allocation names `name@sha256`, and a shard without exactly that track refuses the match
    /// instead of racing other geometry than the players downloaded. Asked at each start (the
    /// assets service's current build, when it runs here); nil: the track goes by name.
    public var trackVersion: @Sendable (String) async -> String? = { _ in nil }

    public init(redis: RedisCommandBridge, config: AllocatorConfig, matchConfig: MatchServiceConfig) throws(TokenError) {
        self.redis = redis
        self.config = config
        self.matchConfig = matchConfig
        issuer = try LockedIssuer(key: matchConfig.tokenKey)
    }

    /// The match and every member's connect token. `attempt`: unique per start of this room (a
    /// retried start is a new group request; a member seated elsewhere refuses it: ``MatchError/partyBusy``).
    public func start(roomId: String, players: [Int64], track: String, attempt: String,
                      nowMillis: UInt64) async throws(MatchError) -> (matchId: UInt64, tokens: [Int64: ConnectToken], trackSha256: String?) {
        let ids = players.map { UInt64($0) }
        // A span of its own (a countdown ending starts it, no request does): the match records
        // its trace, under which the shards log its creation and adoption.
        let span = startSpan("lobby.allocate", ofKind: .internal)
        span.attributes["kk.room"] = roomId
        span.attributes["kk.players"] = players.count
        defer { span.end() }
        let pinned = await trackVersion(track)
        let group = AllocatorRequest.group(players: ids, ticketId: "room:\(roomId):\(attempt)", nowMillis: nowMillis,
                                           config: config, track: pinned.map { "\(track)@\($0)" } ?? track,
                                           privateMatch: true, trace: TraceparentInjector.traceparent(of: span.context))
        let groupReply = await redis.script(group.source, keys: group.keys, args: group.args)
        if let (mid, sid) = AllocatorRequest.createdMatch(in: groupReply) {
            // The new match's owner lease and epoch: its own keys (another slot on a cluster).
            let c = AllocatorRequest.claim(matchId: mid, shardId: sid, config: config)
            _ = await redis.script(c.source, keys: c.keys, args: c.args)
        }
        let placed: Allocation
        do throws(MatchError) { placed = try AllocatorRequest.parseGroup(groupReply).get() } catch {
            span.recordError(error)
            throw error
        }
        span.attributes["kk.match_id"] = Int64(bitPattern: placed.matchId)
        let relayRequest = AllocatorRequest.liveRelays(config: config)
        let live = (try? AllocatorRequest.parseRelays(await redis.script(relayRequest.source, keys: relayRequest.keys,
                                                                         args: relayRequest.args)).get()) ?? []
        let relays = live.isEmpty ? matchConfig.staticRelays : live
        var tokens: [Int64: ConnectToken] = [:]
        for (i, p) in ids.enumerated() {
            // Each member's list starts at a different relay (spreads the room; the rest is the
            // failover order).
            let k = relays.isEmpty ? 0 : i % relays.count
            let ordered = Array(relays[k...] + relays[..<k])
            let r = AllocatorRequest.allocate(playerId: p, nowMillis: nowMillis, config: config)
            let seat = try AllocatorRequest.parseAllocation(await redis.script(r.source, keys: r.keys, args: r.args)).get()
            guard seat.matchId == placed.matchId else { throw .unexpectedReply("member \(p) seated in \(seat.matchId), not \(placed.matchId)") }
            do throws(TokenError) {
                tokens[Int64(p)] = try issuer.issue(playerId: p, matchId: seat.matchId, now: nowMillis / 1000,
                                                    validSeconds: matchConfig.tokenSeconds, timeoutSeconds: matchConfig.sessionTimeoutSeconds,
                                                    relays: ordered)
            } catch { throw .tokenFailure(error) }
        }
        return (placed.matchId, tokens, pinned)
    }
}
