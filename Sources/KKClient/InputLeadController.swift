import KKWire

/// Keeps the client's input lead just long enough for its path, from the shard's report of how
/// early its inputs arrive (``FramePacket/inputMargin``: the smallest margin of the player's last
/// 64 input arrivals, in ticks; negative when an input came after its tick was stepped).
///
/// The lead the client predicts ahead of the server is RTT + 2 x jitter + the send interval +
/// one tick (``ServerClock/leadTicks(rtt:sendEveryTicks:extra:max:)``); that formula cannot see
/// loss (a lost packet's inputs arrive a send interval later, with the next packet) nor a jitter
/// distribution with a long tail. This controller adds what the measurements say is missing and
/// takes away what is not needed: when the reported margin falls below ``targetMargin`` it raises
/// the lead at once by the shortfall; when the margin stays at least two ticks above the target
/// it lowers the lead one tick at a time. After each change it waits ``holdMicros`` (the report's
/// window plus a round trip) so that it judges the new lead, not arrivals made under the old one.
public struct InputLeadController: Sendable, Equatable {
    /// The smallest margin, in ticks, the controller aims to keep the player's arrivals at.
    public var targetMargin: Int
    /// Ticks added to (negative: taken from) the lead computed from RTT and jitter.
    public private(set) var adjustTicks = 0
    /// The newest margin the shard reported (nil before the first report).
    public private(set) var lastMargin: Int?
    /// Raises and lowers so far.
    public private(set) var raises = 0, lowers = 0
    private var lastChangeMicros: Int64?

    public init(targetMargin: Int = 1) { self.targetMargin = targetMargin }

    /// A frame reported `margin`; `holdMicros` is how long a change takes to show in the report.
    /// `baseLead` is the formula's lead now and `maxLead` the configured cap (the adjusted lead
    /// stays within 1...maxLead).
    public mutating func observe(margin: Int8, nowMicros: Int64, holdMicros: Int64, baseLead: Int, maxLead: Int) {
        guard margin != PlayerAck.unknownMargin else { return }
        let m = Int(margin)
        lastMargin = m
        if let last = lastChangeMicros, nowMicros < last + holdMicros { return }
        if m < targetMargin {
            let raised = min(maxLead - baseLead, adjustTicks + (targetMargin - m))
            if raised > adjustTicks {
                adjustTicks = raised
                raises += 1
                lastChangeMicros = nowMicros
            }
        } else if m >= targetMargin + 2, baseLead + adjustTicks > 1 {
            adjustTicks -= 1
            lowers += 1
            lastChangeMicros = nowMicros
        }
    }

    /// The lead to use: the formula's plus the adjustment, within 1...maxLead.
    public func lead(base: Int, maxLead: Int) -> Int { min(maxLead, max(1, base + adjustTicks)) }
}
