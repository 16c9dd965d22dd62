import Foundation
import HummingbirdWSClient
import KKLobbyCore
import Logging
import NIOConcurrencyHelpers
import NIOWebSocket

/// The lobby socket from a game: one authenticated WebSocket to the lobby service (rooms,
/// quick play, the race's connect token), with commands sent as ``LobbyCommand`` and what the
/// lobby says read with ``next(timeoutMillis:)`` (blocking, for a game's frame loop or the C
/// ABI; poll with 0). When the socket drops for another reason than being replaced or refused,
/// the client reconnects by itself (0.25 s, doubling to 4 s; ``Event/reconnecting``), so a short
/// outage keeps the player's held seat; ``close()`` ends it for good.
public final class LobbyClient: Sendable {
    /// A message from the lobby (`hello` after every (re)connect, then room, match, queue...),
    /// a reconnect, or the end.
    public typealias Event = JSONWebSocketClient<LobbyMessage>.Event
    let socket: JSONWebSocketClient<LobbyMessage>

    /// `url`: the lobby's socket, `ws://host:port/v1/lobby`.
    public convenience init(url: String, accessToken: String, autoReconnect: Bool = true) {
        self.init(urls: [url], accessToken: accessToken, autoReconnect: autoReconnect)
    }

    /// `urls`: the lobby instances' sockets, tried in turn.
    public init(urls: [String], accessToken: String, autoReconnect: Bool = true) {
        socket = JSONWebSocketClient(urls: urls, accessToken: accessToken, autoReconnect: autoReconnect, label: "kk-lobby-client")
    }

    public var urls: [String] { socket.urls }
    public var url: String { socket.url }
    public var autoReconnect: Bool { socket.autoReconnect }
    /// True while the socket is open.
    public var isConnected: Bool { socket.isConnected }
    /// Opens the socket (in the background; `hello` arrives when it is up).
    public func connect() { socket.connect() }

    /// Sends a command (queued while the socket reconnects; at most 256 waiting).
    public func send(_ command: LobbyCommand) {
        guard let data = try? JSONEncoder().encode(command) else { return }
        socket.sendRaw(String(decoding: data, as: UTF8.self))
    }

    /// Sends raw text (tests of the service's bad-input handling).
    public func sendRaw(_ text: String) { socket.sendRaw(text) }
    /// The next event, waiting at most `timeoutMillis` (0: only what is already there).
    public func next(timeoutMillis: Int) -> Event? { socket.next(timeoutMillis: timeoutMillis) }
    /// Waits (at most `timeoutMillis`) for a message matching `where`, skipping others; nil on
    /// timeout or when the socket closed for good.
    public func waitFor(timeoutMillis: Int, _ where: (LobbyMessage) -> Bool) -> LobbyMessage? { socket.waitFor(timeoutMillis: timeoutMillis, `where`) }
    /// Closes the socket for good.
    public func close() { socket.close() }
}

/// Quick play's region choice from the client: the lobby's public list of relays per region
/// (`GET /v1/lobby/regions`), each relay pinged (``RelayPinger``), each region's best median
/// round trip in milliseconds. Blocking (about `timeoutMillis`); regions no relay answered for
/// are left out.
public enum LobbyRegions {
    struct Regions: Decodable { var regions: [String: [String]] }

    public static func measure(servicesURL: String, timeoutMillis: Int = 1_000) throws(MatchServiceError) -> [String: Int] {
        let (status, body) = try BlockingHTTP.request("GET", url: BlockingHTTP.join(servicesURL, "/v1/lobby/regions"), timeoutMillis: 5_000)
        guard status == 200, let r = try? JSONDecoder().decode(Regions.self, from: Data(body)) else {
            throw .unreachable("the lobby's region list answered \(status)")
        }
        let all = r.regions.flatMap { region, relays in relays.map { (region, $0) } }
        let results = RelayPinger.measure(relays: all.map(\.1), timeoutMillis: timeoutMillis)
        var best: [String: Int] = [:]
        for (i, res) in results.enumerated() {
            guard let ms = res.medianMillis else { continue }
            let region = all[i].0
            best[region] = min(best[region] ?? .max, Int(ms.rounded(.up)))
        }
        return best
    }
}
