/// What the HUD shows besides the race itself (filled from the client's stats and state).
public struct HudInfo: Sendable, Equatable {
    public var pingMillis: Double = 0
    /// Loss estimates, 0...1.
    public var upLoss: Double = 0
    public var downLoss: Double = 0
    public var correctionsPerSecond: Double = 0
    public var relay: String = ""
    /// The session's status line ("connected", "relay changed; reconnecting...").
    public var status: String = ""

    public init(pingMillis: Double = 0, upLoss: Double = 0, downLoss: Double = 0, correctionsPerSecond: Double = 0,
                relay: String = "", status: String = "") {
        self.pingMillis = pingMillis
        self.upLoss = upLoss
        self.downLoss = downLoss
        self.correctionsPerSecond = correctionsPerSecond
        self.relay = relay
        self.status = status
    }
}
