import KKLobbyCore

/// One lobby deployment's settings (every instance of it runs with the same).
public struct LobbyConfig: Sendable {
    /// Redis key prefix (the realtime cluster's: the allocator's keys are under it too).
    public var prefix = "kk:"
    public var rules: LobbyRules
    public var matchmaking = MatchmakingRules()
    /// Regions quick play serves (a ticket's region is picked among these from the client's pings).
    public var regions = ["local"]
    /// The relays' control-plane credential (a shared secret, at least 16 characters); nil: the
    /// control plane is off (relay sockets and operator routes answer 503).
    public var relaySecret: String?
    /// Largest accepted text frame (message) on a player socket.
    public var maxMessageBytes = 4096
    /// Per socket: at most `commandBurst` commands at once, `commandsPerSecond` sustained; a
    /// socket refused `floodCloseAfter` times is closed (4008).
    public var commandsPerSecond = 10.0
    public var commandBurst = 20.0
    public var floodCloseAfter = 50
    /// A player without a rating (`<prefix>rating:<account>`, written by the stats service).
    public var defaultRating = 1500.0
    /// How often timers (countdowns, held seats) and quick play's forming round run.
    public var sweepMillis: Int64 = 200
    /// What a player may pick (the economy service's inventory: bought items and the starters);
    /// nil: `equip` is refused (`inventory_unavailable`). A throw is refused the same way.
    public var inventory: (@Sendable (Int64) async throws -> [String])?

    public init(rules: LobbyRules) { self.rules = rules }
}
