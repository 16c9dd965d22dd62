import Foundation
import NIOConcurrencyHelpers
import Hummingbird
import HummingbirdWebSocket
import KKAdmin
import KKLobbyCore
import KKRedis

/// An operator route's refusal.
struct RelayRouteError: ServiceHTTPError {
    var status: HTTPResponse.Status
    var label: String
    var message: String
}

extension LobbyService {
    var relaysKey: String { config.prefix + "lobby:relays" }

    /// True when `presented` is the control-plane credential (compared in constant time).
    func isServiceCredential(_ presented: String?) -> Bool { ServiceCredential.matches(presented, secret: config.relaySecret) }

    func operatorCheck(_ req: Request) throws(RelayRouteError) {
        guard config.relaySecret != nil else { throw RelayRouteError(status: .serviceUnavailable, label: "control_plane_off",
                                                                    message: "the relay control plane is not configured") }
        guard isServiceCredential(Self.bearer(req)) else {
            metrics.count("operator_requests", "result", "unauthorized")
            throw RelayRouteError(status: .unauthorized, label: "unauthorized", message: "the service credential is required")
        }
    }

    func addRelayRoutes<Context: WebSocketRequestContext & RequestContext>(to router: Router<Context>) {
        router.ws("/v1/lobby/relay-control", shouldUpgrade: { [self] req, _ in
            do throws(RelayRouteError) { try operatorCheck(req) } catch {
                metrics.count("relay_sockets_refused", "reason", error.label)
                throw HTTPError(error.status, message: error.message)
            }
            return .upgrade([:])
        }, onUpgrade: { [self] inbound, outbound, _ in
            await serveRelay(inbound: inbound, outbound: outbound)
        })

        // Public: the relays of each region, for the clients' pings (quick play's region choice).
        router.get("/v1/lobby/regions") { [self] _, _ -> Response in
            var regions: [String: [String]] = [:]
            for r in await knownRelays() where !r.draining { regions[r.region, default: []].append(r.address) }
            return ServiceHTTP.json(.ok, Regions(regions: regions))
        }
        router.get("/v1/lobby/relays") { [self] req, _ -> Response in
            await ServiceHTTP.respond { () throws(RelayRouteError) in
                try operatorCheck(req)
                return ServiceHTTP.json(.ok, RelayList(relays: await knownRelays()))
            }
        }
        router.post("/v1/lobby/relays/{id}/drain") { [self] req, ctx -> Response in
            await ServiceHTTP.respond { () throws(RelayRouteError) in
                try operatorCheck(req)
                return try await sendRelayCommand(.command("drain"), target: try Self.target(ctx))
            }
        }
        router.post("/v1/lobby/relays/{id}/rate-limits") { [self] req, ctx -> Response in
            await ServiceHTTP.respond { () throws(RelayRouteError) in
                try operatorCheck(req)
                let b = try await Self.body(req, Limits.self)
                var cmd = RelayControlMessage.command("rateLimits")
                cmd.packetsPerSecond = b.packetsPerSecond; cmd.handshakesPerSecond = b.handshakesPerSecond
                return try await sendRelayCommand(cmd, target: try Self.target(ctx))
            }
        }
        router.post("/v1/lobby/players/{account}/kick") { [self] req, ctx -> Response in
            await ServiceHTTP.respond { () throws(RelayRouteError) in
                try operatorCheck(req)
                let b = try await Self.body(req, Reason.self)
                var cmd = RelayControlMessage.command("kick")
                cmd.account = try Self.account(ctx); cmd.reason = String((b.reason ?? "removed by an operator").prefix(200))
                return try await sendRelayCommand(cmd, target: "*")
            }
        }
        router.post("/v1/lobby/players/{account}/ban") { [self] req, ctx -> Response in
            await ServiceHTTP.respond { () throws(RelayRouteError) in
                try operatorCheck(req)
                let b = try await Self.body(req, Reason.self)
                var cmd = RelayControlMessage.command("ban")
                cmd.account = try Self.account(ctx); cmd.seconds = b.seconds
                cmd.reason = String((b.reason ?? "banned by an operator").prefix(200))
                return try await sendRelayCommand(cmd, target: "*")
            }
        }
    }

    struct RelayList: Encodable { var relays: [RelayControlHub.Relay] }
    struct Regions: Encodable { var regions: [String: [String]] }
    struct Reason: Decodable { var reason: String?; var seconds: Int? }
    struct Limits: Decodable { var packetsPerSecond: Double?; var handshakesPerSecond: Double? }
    struct Sent: Encodable { var sent: Bool; var command: String; var target: String }

    func sendRelayCommand(_ cmd: RelayControlMessage, target: String) async throws(RelayRouteError) -> Response {
        if let problem = cmd.commandProblem { throw RelayRouteError(status: .badRequest, label: "bad_command", message: problem) }
        guard await bus.publish(.relay(target: target, Self.encode(cmd))) else {
            throw RelayRouteError(status: .serviceUnavailable, label: "unavailable", message: "the lobby's bus (Redis) is unavailable")
        }
        metrics.count("relay_commands", "command", cmd.command ?? "")
        return ServiceHTTP.json(.accepted, Sent(sent: true, command: cmd.command ?? "", target: target))
    }

    static func target<C: RequestContext>(_ ctx: C) throws(RelayRouteError) -> String {
        guard let t = ctx.parameters.get("id"), t == "*" || (1...128).contains(t.count) else {
            throw RelayRouteError(status: .badRequest, label: "bad_request", message: "relay id or * in the path")
        }
        return t
    }

    static func account<C: RequestContext>(_ ctx: C) throws(RelayRouteError) -> Int64 {
        guard let t = ctx.parameters.get("account"), let a = Int64(t), a > 0 else {
            throw RelayRouteError(status: .badRequest, label: "bad_request", message: "a positive account id in the path")
        }
        return a
    }

    static func body<T: Decodable>(_ req: Request, _ type: T.Type) async throws(RelayRouteError) -> T {
        do throws(ServiceHTTP.BodyError) { return try await ServiceHTTP.decode(req, as: T.self, maxBytes: 1024) } catch {
            throw RelayRouteError(status: .badRequest, label: "bad_request", message: error.description)
        }
    }

    /// Every relay's last report (from Redis: relays connected to any instance).
    func knownRelays() async -> [RelayControlHub.Relay] {
        guard case .array(let items) = await redis.command(["HGETALL", .string(relaysKey)]) else { return relays.relays }
        var out: [RelayControlHub.Relay] = []
        var i = 1
        while i < items.count {
            if let t = items[i].text, let r = try? JSONDecoder().decode(RelayControlHub.Relay.self, from: Data(t.utf8)) { out.append(r) }
            i += 2
        }
        return out.sorted { $0.relayId < $1.relayId }
    }

    /// One relay's control socket: `register` within 5 s, then load reports and acks.
    func serveRelay(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let conn = LobbyHub.Connection(account: 0)
        let registered = NIOLockedValueBox(false)
        metrics.count("relay_sockets_opened")
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await Self.write(conn, to: outbound) }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                if !registered.withLockedValue({ $0 }) { conn.close(code: LobbyCloseCode.badCredential, reason: "register first") }
            }
            var relayId: String?
            do {
                for try await message in inbound.messages(maxSize: 4096) {
                    guard case .text(let text) = message,
                          let m = try? JSONDecoder().decode(RelayControlMessage.self, from: Data(text.utf8)) else {
                        metrics.count("relay_messages", "result", "malformed")
                        continue
                    }
                    let now = Self.nowMillis()
                    switch m.type {
                    case "register":
                        guard relayId == nil, let id = m.relayId, (1...128).contains(id.count), let address = m.address else {
                            conn.close(code: LobbyCloseCode.badCredential, reason: "bad registration")
                            continue
                        }
                        relayId = id
                        registered.withLockedValue { $0 = true }
                        var r = RelayControlHub.Relay(relayId: id, address: address, region: m.region ?? "local", pid: m.pid ?? 0)
                        r.updatedAtMillis = now
                        relays.add(conn, r)
                        metrics.relaySockets.record(relays.count)
                        await record(r)
                        logger.info("lobby: relay \(id) (\(address)) registered")
                    case "load":
                        guard let id = relayId else { continue }
                        if let r = relays.update(id, { r in
                            r.sessions = m.sessions ?? r.sessions; r.playing = m.playing ?? r.playing
                            r.packetsPerSecond = m.packetsPerSecond ?? r.packetsPerSecond; r.draining = m.draining ?? r.draining
                            r.updatedAtMillis = now
                        }) { await record(r) }
                    case "ack":
                        metrics.count("relay_acks", "result", (m.ok ?? false) ? "ok" : "refused")
                    default:
                        metrics.count("relay_messages", "result", "unknown")
                    }
                }
            } catch {
                metrics.count("relay_sockets_closed", "reason", "error")
            }
            conn.continuation.finish()
            group.cancelAll()
            if let relayId {
                relays.remove(relayId, conn)
                metrics.relaySockets.record(relays.count)
                _ = await redis.command(["HDEL", .string(relaysKey), .string(relayId)])
                logger.info("lobby: relay \(relayId) control socket closed")
            }
        }
    }

    func record(_ r: RelayControlHub.Relay) async {
        guard let data = try? JSONEncoder().encode(r) else { return }
        _ = await redis.command(["HSET", .string(relaysKey), .string(r.relayId), .string(String(decoding: data, as: UTF8.self))])
    }
}
