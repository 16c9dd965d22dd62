import KKWire

/// Keeps the client's input lead just long enough for its path, from the shard's report of how
/// early its inputs arrive (``FramePacket/inputMargin``: the smallest margin of the player's last
/// 64 input arrivals, in ticks; negative when an input came after its tick was stepped).
///
/// The lead the client predicts ahead of the server is RTT + 2 x jitter + the send interval +
/// one tick (``ServerClock/leadTicks(rtt:sendEveryTicks:extra:max:)``); that formula cannot see
/// loss (a lost packet's inputs arrive a send interval later, with the next packet) nor a jitter
/// distribution with a long tail. This controller adds what the measurements say is missing and
/// takes away what is not needed, asymmetrically (a late input costs a tick of the player's
/// control, a tick of extra lead costs 17 ms of latency nobody sees under prediction): when the
/// reported margin falls below ``targetMargin`` it raises the lead at once by the shortfall; only
/// after the margin has stayed at least two ticks above the target for ``quietMicros`` (10 s, so
/// the rare bursts of a lossy path keep their cover) does it lower the lead, one tick at a time.
/// After each change it waits `holdMicros` (the report's window plus a round trip) so that it
/// judges the new lead, not arrivals made under the old one.
public struct InputLeadController: Sendable, Equatable {
    /// The smallest margin, in ticks, the controller aims to keep the player's arrivals at.
    public var targetMargin: Int
    /// Ticks added to (negative: taken from) the lead computed from RTT and jitter.
    public private(set) var adjustTicks = 0
    /// The newest margin the shard reported (nil before the first report).
    public private(set) var lastMargin: Int?
    /// How long the margin must stay comfortably above the target before the lead is lowered.
    public var quietMicros: Int64
    /// Raises and lowers so far.
    public private(set) var raises = 0, lowers = 0
    private var lastChangeMicros: Int64?
    private var comfortableSinceMicros: Int64?

    public init(targetMargin: Int = 1, quietMicros: Int64 = 10_000_000) {
        self.targetMargin = targetMargin
        self.quietMicros = quietMicros
    }

    /// A frame reported `margin`; `holdMicros` is how long a change takes to show in the report.
    /// `baseLead` is the formula's lead now and `maxLead` the configured cap (the adjusted lead
    /// stays within 1...maxLead).
    public mutating func observe(margin: Int8, nowMicros: Int64, holdMicros: Int64, baseLead: Int, maxLead: Int) {
        guard margin != PlayerAck.unknownMargin else { return }
        let m = Int(margin)
        lastMargin = m
        if m >= targetMargin + 2 {
            if comfortableSinceMicros == nil { comfortableSinceMicros = nowMicros }
        } else {
            comfortableSinceMicros = nil
        }
        if let last = lastChangeMicros, nowMicros < last + holdMicros { return }
        if m < targetMargin {
            let raised = min(maxLead - baseLead, adjustTicks + (targetMargin - m))
            if raised > adjustTicks {
                adjustTicks = raised
                raises += 1
                lastChangeMicros = nowMicros
            }
        } else if let since = comfortableSinceMicros, nowMicros >= since + quietMicros, baseLead + adjustTicks > 1 {
            adjustTicks -= 1
            lowers += 1
            lastChangeMicros = nowMicros
            comfortableSinceMicros = nowMicros  // each further tick needs another quiet period
        }
    }

    /// The lead to use: the formula's plus the adjustment, within 1...maxLead.
    public func lead(base: Int, maxLead: Int) -> Int { min(maxLead, max(1, base + adjustTicks)) }
}
