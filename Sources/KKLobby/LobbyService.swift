import Foundation
import Hummingbird
import HummingbirdWebSocket
import KKAccessToken
import KKLobbyCore
import KKRedis
import Logging
import CoreMetrics
import NIOConcurrencyHelpers

/// The lobby service: rooms, quick play and the relays' control plane over WebSockets, with
/// every piece of state in Redis so any instance serves any room (docs/LOBBY.md).
///
/// - `GET /v1/lobby` (WebSocket upgrade; the access token as `Authorization: Bearer` or
///   `?access_token=`): the player's socket. Commands (``LobbyCommand``) in, messages
///   (``LobbyMessage``) out: `hello`, command replies, room changes, the race's connect token,
///   quick-play ticket changes. 401 without a valid token.
/// - `GET /v1/lobby/relay-control` (WebSocket upgrade, service credential): a relay's control
///   socket (``RelayControlMessage``).
/// - `GET /v1/lobby/regions` (public): each region's relay addresses, for the clients' pings.
/// - Operator routes (service credential): `GET /v1/lobby/relays`, `POST
///   /v1/lobby/relays/{id|*}/drain`, `POST /v1/lobby/relays/{id|*}/rate-limits`, `POST
///   /v1/lobby/players/{account}/kick` (`{"reason"}`), `POST /v1/lobby/players/{account}/ban`
///   (`{"seconds", "reason"}`).
///
/// Changes are made with one compare-and-set per room (``RoomStore``), then published on the
/// bus (``LobbyBus``) to every instance, which delivers to the sockets it holds (``LobbyHub``).
/// Timers (countdowns, held seats) and quick play's forming round run in ``sweep(nowMillis:)``
/// on every instance; the compare-and-set and leases make them safe to run on all of them.
public final class LobbyService: Sendable {
    public let config: LobbyConfig
    public let store: RoomStore
    public let queue: QuickPlayQueue
    public let starter: RoomStarter?
    public let bus: LobbyBus
    public let hub = LobbyHub()
    public let relays = RelayControlHub()
    public let verifier: AccessTokenVerifier
    let redis: RedisCommandBridge
    let metrics: LobbyMetrics
    let logger: Logger
    /// Quick play's forming rests until then (ms) after a placement failed.
    let quickPlayPausedUntil = NIOLockedValueBox<Int64>(0)
    /// This instance's name in leases.
    public let instanceId = UUID().uuidString.lowercased()

    /// Told when a player's socket opened (kk-services sets their presence to "lobby").
    let onPlayerConnected: (@Sendable (Int64) async -> Void)?

    /// `starter`: nil when the lobby cannot start races (rooms still gather; the start fails
    /// with `start_failed`).
    public init(config: LobbyConfig, redis: RedisCommandBridge, verifier: AccessTokenVerifier, starter: RoomStarter?,
                metricsFactory: any MetricsFactory, logger: Logger, onPlayerConnected: (@Sendable (Int64) async -> Void)? = nil) {
        self.onPlayerConnected = onPlayerConnected
        self.config = config
        self.redis = redis
        self.verifier = verifier
        self.starter = starter
        self.logger = logger
        store = RoomStore(redis: redis, prefix: config.prefix, rules: config.rules)
        queue = QuickPlayQueue(redis: redis, prefix: config.prefix, rules: config.matchmaking)
        bus = LobbyBus(redis: redis, prefix: config.prefix)
        metrics = LobbyMetrics(factory: metricsFactory)
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func connKey(_ a: Int64) -> String { config.prefix + "lobby:conn:\(a)" }
    func pendingMatchKey(_ a: Int64) -> String { config.prefix + "lobby:match:\(a)" }

    /// The access token of an upgrade request (header, or query for browsers).
    static func bearer(_ req: Request) -> String? {
        if let h = req.headers[.authorization], h.hasPrefix("Bearer ") { return String(h.dropFirst(7)) }
        return req.uri.queryParameters.get("access_token")
    }

    public func addRoutes<Context: WebSocketRequestContext & RequestContext>(to router: Router<Context>) {
        router.ws("/v1/lobby", shouldUpgrade: { [verifier, metrics] req, _ in
            guard let token = Self.bearer(req), let claims = await verifier.verify(token), claims.accountId != nil else {
                metrics.count("sockets_refused", "reason", "unauthorized")
                throw HTTPError(.unauthorized, message: "a valid access token is required")
            }
            return .upgrade([:])
        }, onUpgrade: { [self] inbound, outbound, ctx in
            guard let token = Self.bearer(ctx.request), let account = await verifier.verify(token)?.accountId else {
                try await outbound.close(.policyViolation, reason: "unauthorized")
                return
            }
            await serve(account: account, inbound: inbound, outbound: outbound)
        })
        addRelayRoutes(to: router)
    }

    /// One player socket, until it closes.
    func serve(account: Int64, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let conn = hub.add(account: account)
        metrics.sockets.record(hub.count)
        metrics.count("sockets_opened")
        await connected(conn)
        var limiter = CommandLimiter(perSecond: config.commandsPerSecond, burst: config.commandBurst)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard await Self.write(conn, to: outbound) else { return }
                if conn.isOverflowed {
                    self.metrics.count("sockets_closed", "reason", "too_slow")
                    try? await outbound.close(.init(codeNumber: Int(LobbyCloseCode.tooSlow)), reason: "too slow reading events")
                }
            }
            do {
                for try await message in inbound.messages(maxSize: config.maxMessageBytes) {
                    // The stream's size limit covers fragmented messages; a single frame is
                    // bounded by the server's frame limit only: check the message itself.
                    let size: Int
                    switch message {
                    case .text(let t): size = t.utf8.count
                    case .binary(let b): size = b.readableBytes
                    }
                    guard size <= config.maxMessageBytes else {
                        metrics.count("sockets_closed", "reason", "too_large")
                        conn.close(code: 1009, reason: "message larger than \(config.maxMessageBytes) bytes")
                        break
                    }
                    let now = Self.nowMillis()
                    guard limiter.take(nowMillis: now) else {
                        metrics.count("commands", "result", "rate_limited")
                        if limiter.refused >= config.floodCloseAfter {
                            metrics.count("sockets_closed", "reason", "flood")
                            conn.close(code: LobbyCloseCode.flood, reason: "too many commands")
                            break
                        }
                        conn.send(.text(Self.encode(LobbyMessage(type: "error", code: "rate_limited", message: "too many commands: slow down"))))
                        continue
                    }
                    guard case .text(let text) = message else {
                        metrics.count("commands", "result", "bad_command")
                        conn.send(.text(Self.encode(LobbyMessage(type: "error", code: "bad_command", message: "text frames only (JSON)"))))
                        continue
                    }
                    await handle(text, conn: conn)
                }
            } catch {
                // Oversize message, protocol error or a dropped connection: the socket ends.
                metrics.count("sockets_closed", "reason", "\(error)".contains("tooBig") || "\(error)".contains("TooLarge") ? "too_large" : "error")
                try? await outbound.close(.messageTooLarge, reason: "message too large or malformed")
            }
            // The writer sends what is queued (a close with its code included), then ends.
            conn.continuation.finish()
            await group.waitForAll()
        }
        let current = hub.remove(conn)
        metrics.sockets.record(hub.count)
        if current { await disconnected(conn) }
    }

    /// Writes the connection's queued messages until its stream ends (true) or a close was
    /// sent (false): one writer per socket keeps the order.
    public static func write(_ conn: LobbyHub.Connection, to outbound: WebSocketOutboundWriter) async -> Bool {
        for await o in conn.outbound {
            switch o {
            case .text(let t): try? await outbound.writeTextMessage(t)
            case .close(let code, let reason):
                try? await outbound.close(.init(codeNumber: Int(code)), reason: reason)
                return false
            }
        }
        return true
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        guard let data = try? JSONEncoder().encode(value) else { return #"{"type":"error","code":"internal","message":"not encodable"}"# }
        return String(decoding: data, as: UTF8.self)
    }

    /// A socket opened: it is now the account's one socket (others close, on any instance); a
    /// held seat is taken back; the room, a pending race or a waiting ticket is sent again.
    func connected(_ conn: LobbyHub.Connection) async {
        let a = conn.account
        _ = await redis.command(["SET", .string(connKey(a)), .string(conn.id), "PX", "86400000"])
        await bus.publish(.replaced(account: a, keep: conn.id))
        conn.send(.text(Self.encode(LobbyMessage(type: "hello", account: a))))
        await sendState(conn, reconnect: true)
        await onPlayerConnected?(a)
    }

    /// A socket closed (and no newer one of the account exists): the seat is held, a waiting
    /// ticket is cancelled (a player who is away must not be matched).
    func disconnected(_ conn: LobbyHub.Connection) async {
        let a = conn.account
        // Another instance may hold a newer socket of the account: then nothing is away.
        guard (await redis.command(["GET", .string(connKey(a))])).text == conn.id else { return }
        _ = await redis.command(["DEL", .string(connKey(a))])
        if let id = try? await store.roomOf(a) {
            let now = Self.nowMillis()
            if let (room, events) = try? await store.apply(id, nowMillis: now, { (r) throws(RoomError) in
                try r.disconnected(a, rules: config.rules, nowMillis: now)
            }) {
                await broadcast(room, events)
            }
        }
        if let t = try? await queue.cancel(account: a) {
            await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "queue", queue: QueueView(state: "cancelled", ticketId: t.id,
                                                                                                   region: t.region, players: t.players)))),
                           to: t.players)
        }
    }

    /// The account's room (taking back a held seat when `reconnect`), race or ticket, to `conn`.
    func sendState(_ conn: LobbyHub.Connection, reconnect: Bool, ref: String? = nil) async {
        let a = conn.account
        if let id = try? await store.roomOf(a) {
            if reconnect, let (room, events) = try? await store.apply(id, nowMillis: Self.nowMillis(), { (r) throws(RoomError) in
                try r.reconnected(a)
            }), !events.isEmpty {
                await broadcast(room, events)
                return
            }
            if let room = try? await store.room(id) {
                conn.send(.text(Self.encode(LobbyMessage(type: "room", ref: ref, room: RoomView(room, rules: config.rules), events: []))))
                return
            }
        }
        if let pending = (await redis.command(["GET", .string(pendingMatchKey(a))])).text {
            conn.send(.text(pending))
        }
        if let t = try? await queue.ticket(of: a) {
            conn.send(.text(Self.encode(LobbyMessage(type: "queue", ref: ref, queue: QueueView(state: "waiting", ticketId: t.id, region: t.region,
                                                                                               players: t.players)))))
        }
    }

    /// Sends a room change to its members (the room and the events) and to the players who
    /// left it (a `left` message with the events), on every instance.
    func broadcast(_ room: Room, _ events: [RoomEvent]) async {
        guard !events.isEmpty else { return }
        metrics.count("room_events", "result", "published")
        let views = events.map(EventView.init)
        var departed: [Int64] = []
        for e in events {
            switch e {
            case .left(let a), .kicked(let a): departed.append(a)
            default: break
            }
        }
        if !room.isEmpty {
            let msg = LobbyMessage(type: "room", room: RoomView(room, rules: config.rules), events: views)
            await bus.send(LobbyWireText(text: Self.encode(msg)), to: room.accounts)
        }
        if !departed.isEmpty {
            await bus.send(LobbyWireText(text: Self.encode(LobbyMessage(type: "left", events: views))), to: departed)
        }
    }

    /// Delivers what the bus carries to the sockets here, until the feed ends.
    public func consume(_ messages: AsyncStream<[UInt8]>) async {
        for await bytes in messages {
            guard let line = LobbyBus.decode(bytes) else {
                metrics.count("bus_messages", "result", "malformed")
                continue
            }
            switch line {
            case .players(let to, let json): hub.deliver(to: to, text: json)
            case .replaced(let a, let keep): hub.replace(account: a, keep: keep)
            case .relay(let target, let json): relays.deliver(target: target, text: json)
            }
        }
    }
}

/// A token bucket for one socket's commands (the lobby's and the voice signalling's).
public struct CommandLimiter: Sendable {
    let perSecond: Double
    let burst: Double
    var tokens: Double
    var lastMillis: Int64 = 0
    /// Commands refused since the bucket was last full (a flood closes the socket past a bound;
    /// a socket that slowed down until its bucket refilled starts over).
    public private(set) var refused = 0

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond; self.burst = burst; tokens = burst
    }

    public mutating func take(nowMillis: Int64) -> Bool {
        if lastMillis > 0 { tokens = min(burst, tokens + Double(max(0, nowMillis - lastMillis)) / 1000 * perSecond) }
        lastMillis = nowMillis
        if tokens >= burst { refused = 0 }
        guard tokens >= 1 else { refused += 1; return false }
        tokens -= 1
        return true
    }
}
