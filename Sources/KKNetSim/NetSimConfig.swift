import KKPhysics
import KKPrediction

/// Configuration of a netcode simulation run.
public struct NetSimConfig: Sendable {
    public var players = 8
    public var track = "oval"
    public var laps: UInt8 = 3
    public var seed: UInt64 = 1
    /// Simulated ticks (60 per second).
    public var ticks = 3600
    /// Client → server impairment.
    public var uplink = LinkConditions.perfect
    /// Server → client impairment.
    public var downlink = LinkConditions.perfect
    /// Authoritative frame every N ticks (3 = 20 Hz).
    public var sendIntervalTicks = 3
    /// Inputs repeated in every input packet (covers lost packets).
    public var inputRedundancy = 5
    /// Ticks the client runs ahead beyond ceil(max uplink delay / tick), to absorb one
    /// lost input packet. Lead = ceil(uplink.maxDelay / tick) + extraLeadTicks.
    public var extraLeadTicks = 1
    /// Bot steering wobble (see `BotDriver`).
    public var botWobble: UInt64 = 600
    /// Render delay of the remote-kart interpolation buffer, ticks.
    public var interpolationDelayTicks = 6
    /// How clients guess remote karts' inputs beyond the newest frame.
    public var remoteGuess = ClientPredictor.RemoteInputGuess.default

    public init() {}

    /// The "100 ms RTT, 20 ms jitter, 5% loss" profile: 50 ms each way, 0...20 ms extra
    /// delay per packet, 5% loss each way, 1% reordering (+10 ms), 1% duplication.
    public static func impaired(seed: UInt64 = 1) -> NetSimConfig {
        var c = NetSimConfig()
        c.seed = seed
        let link = LinkConditions(latencyMs: 50, jitterMs: 20, loss: 0.05, reorder: 0.01, reorderMs: 10, duplicate: 0.01)
        c.uplink = link
        c.downlink = link
        return c
    }
}

/// Errors of the netcode simulator.
public enum NetSimError: Error, Equatable, Sendable {
    case badConfig(String)
    case physics(PhysicsError)
}
