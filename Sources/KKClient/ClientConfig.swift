import KKWire

/// Settings of one ``ClientSession``. Validated by ``validate()`` (the session's init calls it).
public struct ClientConfig: Sendable, Equatable {
    /// Built-in track the match runs on (from the match service's answer).
    public var track: String = "oval"
    /// The track's text as downloaded (a verified asset bundle); nil: the built-in track named
    /// ``track``.
    public var trackSource: String?
    /// An input packet every N rendered ticks: 1 = 60 Hz ... 3 = 20 Hz (allowed 1...3).
    public var sendEveryTicks: Int = 2
    /// Inputs per packet: the newest plus older unacknowledged ones (1...32).
    public var inputRedundancy: Int = 16
    /// Ping period.
    public var pingIntervalMillis: UInt64 = 1_000
    /// No packet from the relay for this long while playing ends the session.
    public var silenceTimeoutMillis: UInt64 = 10_000
    /// Hello is resent this often while no Welcome came.
    public var helloRetryMillis: UInt64 = 1_000
    /// Joining (or resuming) for longer than this ends the session.
    public var joinTimeoutMillis: UInt64 = 8_000
    /// Ticks of lead added beyond RTT + 2 x jitter + the send interval (absorbs one lost packet).
    public var extraLeadTicks: Int = 1
    /// Upper bound of the tick lead.
    public var maxLeadTicks: Int = 45
    /// Adapt the lead to the shard's report of how early inputs arrive (``InputLeadController``).
    public var adaptiveLead = true
    /// The smallest arrival margin, in ticks, the adaptive lead aims for (0...10).
    public var targetInputMargin: Int = 2
    /// Ticks the client may predict per update when catching up.
    public var maxCatchUpTicks: Int = 8
    /// Remote karts are drawn this many ticks behind the newest frame.
    public var interpolationDelayTicks: Int = 6
    /// Decoded frames kept as delta baselines (the relay's cache holds 32).
    public var frameRing: Int = 64
    /// Expected spacing of frames from the relay, ticks (the shard's send interval): loss estimate.
    public var frameIntervalTicks: Int = 3
    /// Outgoing packets buffered before the transport drains them.
    public var outgoingSlots: Int = 16
    public var protocolId: UInt32 = Limits.defaultProtocolId
    /// The game's trace (W3C), sent in every Hello: the relay and the shard log this player's
    /// join and resumes under it (``GameClient`` fills it from `SDKTrace.current`).
    public var trace: TraceContext?

    public init() {}

    /// Throws ``ClientError/badConfig(_:)`` naming the first bad field.
    public func validate() throws(ClientError) {
        if !(1...3).contains(sendEveryTicks) { throw .badConfig("sendEveryTicks must be 1...3 (60-20 Hz)") }
        if !(1...Limits.maxInputsPerPacket).contains(inputRedundancy) { throw .badConfig("inputRedundancy must be 1...32") }
        if pingIntervalMillis < 100 { throw .badConfig("pingIntervalMillis must be >= 100") }
        if maxLeadTicks < 1 || maxLeadTicks > 120 { throw .badConfig("maxLeadTicks must be 1...120") }
        if !(0...10).contains(targetInputMargin) { throw .badConfig("targetInputMargin must be 0...10") }
        if maxCatchUpTicks < 1 { throw .badConfig("maxCatchUpTicks must be >= 1") }
        if frameRing < 8 || frameRing > 1024 { throw .badConfig("frameRing must be 8...1024") }
        if frameIntervalTicks < 1 { throw .badConfig("frameIntervalTicks must be >= 1") }
        if outgoingSlots < 4 { throw .badConfig("outgoingSlots must be >= 4") }
    }
}
