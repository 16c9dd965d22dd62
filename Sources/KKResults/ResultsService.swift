import Foundation
import Hummingbird
import KKAccessToken
import KKAdmin
import KKPostgres
import ServiceLifecycle

/// Why a results route refused.
public enum ResultsError: ServiceHTTPError, Equatable {
    case badRequest(String)
    case unauthorized
    case notFound(String)
    case storeUnavailable(PostgresStoreError)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .storeUnavailable: .serviceUnavailable
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .storeUnavailable: "store_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m): m
        case .unauthorized: "a valid access token is required (Authorization: Bearer)"
        case .storeUnavailable(let e): "the results store is unavailable: \(e)"
        }
    }
}

/// The results routes (public: results are public, but for the friends board):
/// - `GET /v1/results/matches/{id}`: a recorded race (verified or not, with the reason), its
///   entries by kart slot; 404 until it is recorded.
/// - `GET /v1/results/matches/{id}/telemetry`: the match's network figures per kart (inputs
///   applied, late, duplicated, dropped; ticks without input; rejoins; input margin), as the
///   shard(s) that ran it reported them.
/// - `GET /v1/results/matches/{id}/ghost`: the race's input log (text, `kklog 1`): replay it
///   with the same physics to watch the race again.
/// - `GET /v1/results/players/{id}/stats`: races, finishes, wins, podiums, best time per track
///   this season (verified races only).
/// - `GET /v1/results/leaderboards/{track}?limit=&season=&around=`: the season's best times on a
///   track (limit 1-100, default 10); with `around=<player>` that player's rank with `limit`
///   rows on each side.
/// - `GET /v1/results/leaderboards/{track}/friends?limit=&season=` (access token): the board of
///   the caller and their friends, ranked among themselves.
/// - `GET /v1/results/leaderboards/{track}/ghost?season=&player=`: the ghost of the board's best
///   time (or of `player`'s best): match, kart slot, time and the race's input log to replay.
public struct ResultsService: Sendable {
    public let store: ResultsStore
    /// Verifies access tokens for the friends board (nil: that route answers 401).
    public let verifier: AccessTokenVerifier?

    public init(store: ResultsStore, verifier: AccessTokenVerifier? = nil) { self.store = store; self.verifier = verifier }

    /// A ghost: the race holding a best time and which kart to follow in it.
    public struct Ghost: Codable, Sendable, Equatable {
        public var track: String
        public var season: Int
        public var playerId: Int64
        public var matchId: Int64
        public var slot: Int
        public var bestTicks: Int
        /// The race's input log (`kklog 1`).
        public var log: String
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/results/matches/{id}") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                let r: ResultsStore.Recorded?
                do throws(PostgresStoreError) { r = try await store.result(matchId: id) } catch { throw .storeUnavailable(error) }
                guard let r else { throw .notFound("no result for match \(id) (yet)") }
                return ServiceHTTP.json(.ok, r)
            }
        }
        router.get("/v1/results/players/{id}/stats") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                do throws(PostgresStoreError) { return ServiceHTTP.json(.ok, try await store.stats(playerId: id)) } catch { throw .storeUnavailable(error) }
            }
        }
        router.get("/v1/results/leaderboards/{track}") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let (track, limit, season) = try Self.boardQuery(req, ctx)
                let around = try Self.player(req, "around")
                do throws(PostgresStoreError) {
                    let (s, rows) = try await store.leaderboard(track: track, season: season, limit: limit, around: around)
                    return ServiceHTTP.json(.ok, Board(track: track, season: s, rows: rows))
                } catch { throw .storeUnavailable(error) }
            }
        }
        addBoardRoutes(to: router)
        router.get("/v1/results/recent") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let limit = req.uri.queryParameters.get("limit").map { Int($0) ?? -1 } ?? 10
                guard (1...50).contains(limit) else { throw .badRequest("limit must be 1-50") }
                do throws(PostgresStoreError) { return ServiceHTTP.json(.ok, try await store.recent(limit: limit)) } catch { throw .storeUnavailable(error) }
            }
        }
        router.get("/v1/results/matches/{id}/telemetry") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                let rows: [TelemetryStore.Row]
                do throws(PostgresStoreError) { rows = try await TelemetryStore(client: store.client, logger: store.logger).rows(matchId: id) } catch {
                    throw .storeUnavailable(error)
                }
                guard !rows.isEmpty else { throw .notFound("no telemetry for match \(id) (yet)") }
                return ServiceHTTP.json(.ok, Telemetry(matchId: id, karts: rows))
            }
        }
        router.get("/v1/results/matches/{id}/ghost") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                let log: String?
                do throws(PostgresStoreError) { log = try await store.inputLog(matchId: id) } catch { throw .storeUnavailable(error) }
                guard let log else { throw .notFound("no input log for match \(id)") }
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: log)))
            }
        }
    }

    struct Board: Encodable { var track: String; var season: Int; var rows: [ResultsStore.BoardRow] }
    struct Telemetry: Encodable { var matchId: Int64; var karts: [TelemetryStore.Row] }

    /// The track in the path, `limit` (1-100, default 10) and `season` of a board request.
    static func boardQuery<C: RequestContext>(_ req: Request, _ ctx: C) throws(ResultsError) -> (String, Int, Int?) {
        guard let track = ctx.parameters.get("track"), (1...32).contains(track.count),
              track.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .badRequest("a track name in the path")
        }
        let q = req.uri.queryParameters
        let limit = q.get("limit").map { Int($0) ?? -1 } ?? 10
        guard (1...100).contains(limit) else { throw .badRequest("limit must be 1-100") }
        let season = q.get("season").map { Int($0) ?? -1 }
        if let season, season < 1 { throw .badRequest("season must be a positive integer") }
        return (track, limit, season)
    }

    static func player(_ req: Request, _ name: String) throws(ResultsError) -> Int64? {
        let v = req.uri.queryParameters.get(name).map { Int64($0) ?? -1 }
        if let v, v < 1 { throw .badRequest("\(name) must be a player id") }
        return v
    }

    func addBoardRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/results/leaderboards/{track}/friends") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                guard let verifier, let claims = await verifier.verify(authorization: req.headers[.authorization]),
                      let me = claims.accountId else { throw .unauthorized }
                let (track, limit, season) = try Self.boardQuery(req, ctx)
                do throws(PostgresStoreError) {
                    let (s, rows) = try await store.leaderboard(track: track, season: season, limit: limit, around: nil, friendsOf: me)
                    return ServiceHTTP.json(.ok, Board(track: track, season: s, rows: rows))
                } catch { throw .storeUnavailable(error) }
            }
        }
        router.get("/v1/results/leaderboards/{track}/ghost") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let (track, _, season) = try Self.boardQuery(req, ctx)
                let player = try Self.player(req, "player")
                let ghost: Ghost?
                do throws(PostgresStoreError) { ghost = try await store.ghost(track: track, season: season, player: player) } catch {
                    throw .storeUnavailable(error)
                }
                guard let ghost else { throw .notFound("no best time on \(track)" + (player.map { " for player \($0)" } ?? "")) }
                return ServiceHTTP.json(.ok, ghost)
            }
        }
    }

    static func matchId<C: RequestContext>(_ ctx: C) throws(ResultsError) -> Int64 {
        guard let t = ctx.parameters.get("id"), let v = Int64(t), v > 0 else { throw .badRequest("the match id in the path must be a positive integer") }
        return v
    }
}

/// Runs a stream consumer (``ResultsConsumer``, ``TelemetryConsumer``) in a service group
/// until shutdown.
public struct StreamConsumerService: Service {
    let body: @Sendable () async -> Void
    public init(_ consumer: ResultsConsumer) { body = { await consumer.run() } }
    public init(_ consumer: TelemetryConsumer) { body = { await consumer.run() } }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
