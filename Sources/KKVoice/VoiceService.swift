import Foundation
import Hummingbird
import HummingbirdWebSocket
import KKAccessToken
import KKLobby
import KKVoiceCore
import Logging
import Metrics
import ServiceLifecycle

/// Settings of the voice signalling service.
public struct VoiceConfig: Sendable {
    /// TURN server URLs handed to clients (`turn:127.0.0.1:3478?transport=udp`).
    public var turnURLs: [String]
    /// coturn's `static-auth-secret` (TURN REST scheme).
    public var turnSecret: String
    /// Lifetime of minted TURN credentials, seconds (short: a leaked one expires soon).
    public var turnSeconds = 600
    public var model = ProximityModel.standard
    public var limits = VoiceMessage.Limits()
    /// Signalling messages a socket may send per second (burst: twice as many).
    public var messagesPerSecond = 50.0
    /// Refused messages after which a socket is closed (4008).
    public var floodCloseAfter = 200
    /// A match without a position report this long is over, ms.
    public var matchIdleMillis: Int64 = 10_000

    public init(turnURLs: [String], turnSecret: String) { self.turnURLs = turnURLs; self.turnSecret = turnSecret }
}

/// Proximity voice signalling (WebRTC): `GET /v1/voice` (WebSocket upgrade, the access token as
/// `Authorization: Bearer` or `?access_token=`; 401 otherwise). On connect the player gets
/// `welcome` with TURN credentials minted for them (coturn's REST scheme, short-lived); then
/// `connect {peer, initiator}` / `disconnect {peer}` as karts come within range of each other
/// (from the shards' position reports, with hysteresis) or party members connect, `audible`
/// with a gain per speaker (Vivox-style distance fade), and the peers' relayed `offer`,
/// `answer`, `ice` and `bye` (with `from`). The player sends `offer`/`answer`/`ice`/`bye` with
/// `to`: refused with an `error` (`not_in_range`, `not_in_match`, `too_large`, `bad_message`,
/// `unknown_type`, `rate_limited`) unless the two are linked right now; a flood closes the
/// socket (4008). The media never passes here: it flows peer to peer through TURN.
///
/// Counted: `kk_voice_messages_total{type}` (relayed), `kk_voice_refused_total{reason}`,
/// `kk_voice_sockets` (gauge), `kk_voice_position_reports_total{outcome}`.
public struct VoiceService: Sendable {
    public let config: VoiceConfig
    public let verifier: AccessTokenVerifier
    public let hub = LobbyHub()
    let rooms: VoiceRooms
    let metrics: any MetricsFactory
    /// The player's party (members), when the social service runs here.
    let partyOf: (@Sendable (Int64) async -> [Int64])?

    public init(config: VoiceConfig, verifier: AccessTokenVerifier, metricsFactory: any MetricsFactory,
                partyOf: (@Sendable (Int64) async -> [Int64])? = nil) {
        self.config = config
        self.verifier = verifier
        metrics = metricsFactory
        self.partyOf = partyOf
        rooms = VoiceRooms(hub: hub, model: config.model)
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func count(_ label: String, _ key: String, _ value: String) {
        Counter(label: label, dimensions: [(key, value)], factory: metrics).increment()
    }

    /// The access token of an upgrade request (header, or query for browsers).
    static func bearer(_ req: Request) -> String? {
        if let h = req.headers[.authorization], h.hasPrefix("Bearer ") { return String(h.dropFirst(7)) }
        return req.uri.queryParameters.get("access_token")
    }

    public func addRoutes<Context: WebSocketRequestContext & RequestContext>(to router: Router<Context>) {
        router.ws("/v1/voice", shouldUpgrade: { [verifier] req, _ in
            guard let token = Self.bearer(req), await verifier.verify(token)?.accountId != nil else {
                count("kk_voice_refused_total", "reason", "unauthorized")
                throw HTTPError(.unauthorized, message: "a valid access token is required")
            }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, ctx in
            guard let token = Self.bearer(ctx.request), let player = await verifier.verify(token)?.accountId else {
                try await outbound.close(.policyViolation, reason: "unauthorized")
                return
            }
            await serve(player: player, inbound: inbound, outbound: outbound)
        })
    }

    /// Feeds one message of the shards' position channel.
    public func positionReport(_ bytes: [UInt8]) async {
        guard let r = PositionReport(parsing: String(decoding: bytes, as: UTF8.self)) else {
            count("kk_voice_position_reports_total", "outcome", "malformed")
            return
        }
        count("kk_voice_position_reports_total", "outcome", "applied")
        await rooms.apply(r, nowMillis: Self.nowMillis())
    }

    /// Ends matches that stopped reporting.
    public func sweep() async { await rooms.sweep(nowMillis: Self.nowMillis(), idleMillis: config.matchIdleMillis) }

    /// Reads every connected player's party again (joins and leaves since their socket opened).
    public func refreshParties() async {
        guard let partyOf else { return }
        for p in hub.accounts { await rooms.setParty(p, party: await partyOf(p)) }
    }

    /// Sockets open now.
    public var socketCount: Int { hub.count }

    func serve(player: Int64, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let conn = hub.add(account: player)
        Gauge(label: "kk_voice_sockets", factory: metrics).record(hub.count)
        let turn = TurnCredentials.mint(secret: config.turnSecret, user: "\(player)", now: Int64(Date().timeIntervalSince1970),
                                        ttlSeconds: config.turnSeconds, urls: config.turnURLs)
        conn.send(.text(VoiceMessage.welcome(player: player, turn: turn, match: await rooms.match(of: player)).encoded()))
        let party = await partyOf?(player) ?? []
        await rooms.connect(player, session: conn.id, party: party)
        var limiter = CommandLimiter(perSecond: config.messagesPerSecond, burst: 2 * config.messagesPerSecond)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                guard await LobbyService.write(conn, to: outbound) else { return }
                if conn.isOverflowed { try? await outbound.close(.init(codeNumber: Int(LobbyCloseCode.tooSlow)), reason: "too slow reading") }
            }
            do {
                for try await message in inbound.messages(maxSize: config.limits.maxFrameBytes) {
                    guard limiter.take(nowMillis: Self.nowMillis()) else {
                        refuse(.rateLimited, conn)
                        if limiter.refused >= config.floodCloseAfter {
                            count("kk_voice_refused_total", "reason", "flood")
                            conn.close(code: LobbyCloseCode.flood, reason: "too many messages")
                            break
                        }
                        continue
                    }
                    guard case .text(let text) = message else { refuse(.badMessage("text frames only (JSON)"), conn); continue }
                    await handle(Array(text.utf8), from: player, conn: conn)
                }
            } catch {
                count("kk_voice_refused_total", "reason", "too_large")
                try? await outbound.close(.messageTooLarge, reason: "message too large or malformed")
            }
            conn.finish()
            await group.waitForAll()
        }
        hub.remove(conn)
        await rooms.disconnect(player, session: conn.id)
        Gauge(label: "kk_voice_sockets", factory: metrics).record(hub.count)
    }

    func handle(_ frame: [UInt8], from player: Int64, conn: LobbyHub.Connection) async {
        let m: VoiceMessage
        do throws(VoiceError) {
            m = try VoiceMessage.decode(frame, limits: config.limits)
            let kind = try VoiceMessage.validateClient(m, limits: config.limits)
            if kind == .ping { conn.send(.text(VoiceMessage.pong.encoded())); return }
            guard let to = m.to else { throw .badMessage("'to' is required") }
            do throws(VoiceError) { try await rooms.authorize(from: player, to: to) } catch {
                // A goodbye to a peer already unlinked is normal teardown, not a refusal.
                if kind == .bye { return }
                throw error
            }
            guard let target = hub.connection(to) else { throw .notInRange(to) }
            target.send(.text(m.relayed(from: player).encoded()))
            count("kk_voice_messages_total", "type", m.type)
        } catch {
            refuse(error, conn)
        }
    }

    func refuse(_ e: VoiceError, _ conn: LobbyHub.Connection) {
        count("kk_voice_refused_total", "reason", e.code)
        conn.send(.text(VoiceMessage.error(e).encoded()))
    }
}

/// Runs the voice service's position feed (the shards' `<prefix>positions` channel) and its
/// idle sweep until shutdown.
public struct VoiceBackground: Service {
    let voice: VoiceService
    let reports: AsyncStream<[UInt8]>

    public init(voice: VoiceService, reports: AsyncStream<[UInt8]>) { self.voice = voice; self.reports = reports }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await r in reports { await voice.positionReport(r) } }
                group.addTask {
                    var ticks = 0
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        await voice.sweep()
                        ticks += 1
                        if ticks % 15 == 0 { await voice.refreshParties() }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        voice.hub.closeAll(reason: "voice service shutting down")
    }
}
