import Foundation
import HTTPTypes
import Hummingbird
import Tracing
import KKToken
import Logging
import CoreMetrics

/// Token settings of the match service.
public struct MatchServiceConfig: Sendable {
    /// Seals every connect token (the same key all relays hold).
    public var tokenKey: TokenKey
    /// Token validity (also the lifetime of the player's match pointer).
    public var tokenSeconds: UInt64
    /// Seconds without traffic after which a relay drops a session.
    public var sessionTimeoutSeconds: UInt32
    /// Relays handed out when Redis lists no live one ("host:port").
    public var staticRelays: [String]

    public init(tokenKey: TokenKey, tokenSeconds: UInt64 = 60, sessionTimeoutSeconds: UInt32 = 10, staticRelays: [String] = []) {
        self.tokenKey = tokenKey
        self.tokenSeconds = max(1, tokenSeconds)
        self.sessionTimeoutSeconds = sessionTimeoutSeconds
        self.staticRelays = staticRelays
    }
}

/// `POST /v1/match` body: `{"player": "alice"}` or `{"player": 42}` (see ``DevAuthenticator``).
public struct MatchRequest: Decodable, Sendable {
    public var player: String?
    /// A party ticket of the social service (the caller is its leader): every member gets a seat
    /// in the same match, and the caller its token.
    public var party: String?

    enum CodingKeys: String, CodingKey { case player, party }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        party = try c.decodeIfPresent(String.self, forKey: .party)
        if let n = try? c.decodeIfPresent(UInt64.self, forKey: .player) {
            player = String(n)
        } else {
            player = try c.decodeIfPresent(String.self, forKey: .player)
        }
    }
}

/// `POST /v1/match` 200 body.
public struct MatchResponse: Codable, Sendable, Equatable {
    public var matchId: UInt64
    public var shardId: String
    public var slot: Int
    public var token: ConnectToken

    public init(matchId: UInt64, shardId: String, slot: Int, token: ConnectToken) {
        self.matchId = matchId
        self.shardId = shardId
        self.slot = slot
        self.token = token
    }
}

/// Error body of every non-200 answer: `{"error": "no_shard", "message": "no shard available"}`.
public struct MatchErrorBody: Codable, Sendable, Equatable {
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}

/// The player-facing HTTP routes (mounted on the admin server's router, one HTTP server):
///
/// - `POST /v1/match`: 200 ``MatchResponse`` with a connect token listing the relays; 400 on bad
///   input; 401 when the ``Authenticator`` refuses; 409 when a party member already plays
///   elsewhere; 503 when no shard has room, Redis is down, the queue is full or the service is
///   stopping; 500 otherwise. With `{"party": "<ticket>"}` (the leader's request) every member
///   of the social service's party ticket gets a seat in the same match.
///
/// Metrics: `kk_match_requests_total{result=ok|no_shard|redis_unavailable|...}` and
/// `kk_match_allocation_seconds` (histogram of the allocation round trip through Redis).
public final class MatchService: Sendable {
    public static let maxBodyBytes = 4096

    private let allocator: any MatchAllocating
    private let authenticator: any Authenticator
    private let config: MatchServiceConfig
    private let issuer: LockedIssuer
    private let metrics: MatchMetrics

    public init(allocator: any MatchAllocating, authenticator: any Authenticator,
                config: MatchServiceConfig, metricsFactory: any MetricsFactory) throws(TokenError) {
        self.allocator = allocator
        self.authenticator = authenticator
        self.config = config
        self.issuer = try LockedIssuer(key: config.tokenKey)
        self.metrics = MatchMetrics(factory: metricsFactory)
    }

    /// Adds the routes to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/v1/match") { [self] request, _ -> Response in
            let auth = request.headers[.authorization]
            let traceparent = request.headers[HTTPField.Name("traceparent")!]
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                return fail(.badRequest("body larger than \(Self.maxBodyBytes) bytes"))
            }
            return await handle(body: body, authorization: auth, traceparent: traceparent)
        }
    }

    /// The route's logic, independent of Hummingbird's request type.
    /// `traceparent`: the caller's, used as the match's trace when tracing is off.
    func handle(body: ByteBuffer, authorization: String?, traceparent: String? = nil) async -> Response {
        let pid: UInt64
        var party: (members: [UInt64], ticketId: String)?
        do {
            let req: MatchRequest
            do { req = try JSONDecoder().decode(MatchRequest.self, from: Data(body.readableBytesView)) } catch {
                throw MatchError.badRequest("body must be JSON {\"player\": \"<name or id>\"} or {\"party\": \"<ticket>\"}")
            }
            pid = try await authenticator.playerId(player: req.player, authorization: authorization)
            if let ticket = req.party { party = try await authenticator.partyMembers(ticket: ticket, leader: pid) }
        } catch let e as MatchError {
            return fail(e)
        } catch {
            return fail(.badRequest("\(error)"))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let allocation: Allocation
        // A span of the request's trace (the caller's traceparent, continued by the tracing
        // middleware when tracing is on; a no-op otherwise).
        let span = startSpan("match.allocate", ofKind: .internal)
        span.attributes["kk.player_id"] = Int64(bitPattern: pid)
        defer { span.end() }
        // The match remembers the trace it was allocated under (its hash's `trace`): the shards
        // log its creation and adoption under it.
        let trace = TraceparentInjector.traceparent(of: span.context) ?? traceparent
        do {
            // A party's seats first (all in one match, atomically); then the leader's own seat
            // is among them, as each member's is when they ask.
            if let party { _ = try await allocator.allocateGroup(players: party.members, ticketId: party.ticketId) }
            allocation = try await allocator.allocate(playerId: pid, trace: trace)
            span.attributes["kk.match_id"] = Int64(bitPattern: allocation.matchId)
        } catch {
            span.recordError(error)
            return fail(error)
        }
        metrics.allocationLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
        let live = allocator.liveRelays
        let relays = live.isEmpty ? config.staticRelays : live
        do {
            let token = try issuer.issue(playerId: pid, matchId: allocation.matchId,
                                         now: UInt64(Date().timeIntervalSince1970), validSeconds: config.tokenSeconds,
                                         timeoutSeconds: config.sessionTimeoutSeconds, relays: relays)
            metrics.count("ok")
            return Self.json(.ok, MatchResponse(matchId: allocation.matchId, shardId: allocation.shardId,
                                                slot: allocation.slot, token: token))
        } catch {
            return fail(.tokenFailure(error))
        }
    }

    private func fail(_ e: MatchError) -> Response {
        metrics.count(e.metricLabel)
        return Self.json(Self.status(for: e), MatchErrorBody(error: e.metricLabel, message: e.message))
    }

    /// The HTTP status for an error.
    public static func status(for e: MatchError) -> HTTPResponse.Status {
        switch e {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .noShardAvailable, .redisUnavailable, .overloaded, .shuttingDown: .serviceUnavailable
        case .unexpectedReply, .tokenFailure: .internalServerError
        case .partyBusy, .ticketUsed: .conflict
        }
    }

    static func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A ``TokenIssuer`` (one cipher context, not thread-safe) behind a lock; sealing takes
/// microseconds, so one shared issuer is enough for the request rates of a match service.
public final class LockedIssuer: @unchecked Sendable {
    private let lock = NSLock()
    private let issuer: TokenIssuer

    public init(key: TokenKey) throws(TokenError) { issuer = try TokenIssuer(key: key) }

    public func issue(playerId: UInt64, matchId: UInt64, now: UInt64, validSeconds: UInt64, timeoutSeconds: UInt32,
               relays: [String]) throws(TokenError) -> ConnectToken {
        lock.lock()
        defer { lock.unlock() }
        return try issuer.issue(playerId: playerId, matchId: matchId, now: now, validSeconds: validSeconds,
                                timeoutSeconds: timeoutSeconds, relays: relays)
    }
}

/// Writes propagated headers (W3C `traceparent`) into a dictionary.
public struct TraceparentInjector: Injector {
    public init() {}
    public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }

    /// The `traceparent` of a span's context as the installed instrument propagates it (nil when
    /// tracing is off): what a match records as the trace it was allocated under.
    public static func traceparent(of context: ServiceContext) -> String? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: TraceparentInjector())
        return carrier["traceparent"]
    }
}
