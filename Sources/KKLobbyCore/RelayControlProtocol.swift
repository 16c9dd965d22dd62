/// The control plane between the lobby service and the relays (the seed's "Lobby -> Realtime
/// Relay: WS control plane"): one JSON text frame per message on the relay's WebSocket to
/// `/v1/lobby/relay-control` (authenticated with the service credential, never a player token).
///
/// Relay to lobby: `register` first (`relayId`, `address`, `region`, `pid`), then `load` once a
/// second (`sessions`, `playing`, `packetsPerSecond`, `draining`), and an `ack` (`ref`, `ok`,
/// `message`) for every command.
///
/// Lobby to relay: `command` (`ref`, `command` and its fields):
/// - `drain`: stop taking new players, let the current ones finish (the relay's own drain);
/// - `kick` (`account`, `reason`): close that player's session; the client shows the reason;
/// - `ban` (`account`, `seconds`, `reason`): kick, and refuse the account's handshakes until then;
/// - `rateLimits` (`packetsPerSecond`, `handshakesPerSecond`): per-address limits from now on;
/// - `matchAssigned` (`matchId`): a match was just placed; resolve its shard now, before its
///   players arrive.
public struct RelayControlMessage: Codable, Sendable, Equatable {
    public var type: String
    public var ref: String?
    public var command: String?
    // register / load
    public var relayId: String?
    public var address: String?
    public var region: String?
    public var pid: Int?
    public var sessions: Int?
    public var playing: Int?
    public var packetsPerSecond: Double?
    public var draining: Bool?
    // commands
    public var account: Int64?
    public var reason: String?
    public var seconds: Int?
    public var handshakesPerSecond: Double?
    public var matchId: UInt64?
    // ack
    public var ok: Bool?
    public var message: String?

    public init(type: String) { self.type = type }

    public static func register(relayId: String, address: String, region: String, pid: Int) -> Self {
        var m = Self(type: "register")
        m.relayId = relayId; m.address = address; m.region = region; m.pid = pid
        return m
    }

    public static func load(sessions: Int, playing: Int, packetsPerSecond: Double, draining: Bool) -> Self {
        var m = Self(type: "load")
        m.sessions = sessions; m.playing = playing; m.packetsPerSecond = packetsPerSecond; m.draining = draining
        return m
    }

    public static func ack(ref: String?, ok: Bool, message: String) -> Self {
        var m = Self(type: "ack")
        m.ref = ref; m.ok = ok; m.message = message
        return m
    }

    public static func command(_ name: String, ref: String? = nil) -> Self {
        var m = Self(type: "command")
        m.command = name; m.ref = ref
        return m
    }

    /// The commands a relay accepts.
    public static let commands: Set<String> = ["drain", "kick", "ban", "rateLimits", "matchAssigned"]

    /// Why a command cannot be carried out as sent (nil: it is well-formed).
    public var commandProblem: String? {
        guard type == "command", let c = command else { return "not a command" }
        switch c {
        case "drain": return nil
        case "kick": return (account ?? 0) > 0 ? nil : "kick needs a positive account"
        case "ban":
            guard (account ?? 0) > 0 else { return "ban needs a positive account" }
            return (1...(30 * 86_400)).contains(seconds ?? 0) ? nil : "ban needs seconds in 1...2592000"
        case "rateLimits":
            guard packetsPerSecond != nil || handshakesPerSecond != nil else { return "rateLimits needs packetsPerSecond or handshakesPerSecond" }
            if let p = packetsPerSecond, !(1...100_000).contains(p) { return "packetsPerSecond must be 1...100000" }
            if let h = handshakesPerSecond, !(0.1...1_000).contains(h) { return "handshakesPerSecond must be 0.1...1000" }
            return nil
        case "matchAssigned": return (matchId ?? 0) > 0 ? nil : "matchAssigned needs a matchId"
        default: return "unknown command \(c)"
        }
    }
}
