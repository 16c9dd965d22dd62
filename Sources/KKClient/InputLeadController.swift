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
/// control, a tick of extra lead costs 17 ms of latency and a tick more of prediction, whose
/// corrections grow with it): when the reported margin falls below ``targetMargin`` it raises the
/// lead at once by the shortfall; once every report for ``quietMicros`` (4 s: two report windows
/// at 30 Hz, so a lossy path's bursts show up) has had at least two ticks to spare, it lowers the
/// lead in one step to leave one spare tick over the smallest margin seen in that period (the
/// window's minimum misses rarer loss runs: two packets lost in a row at 1% loss). After each change it waits
/// `holdMicros` (the report's window plus a round trip) so that it judges the new lead, not
/// arrivals made under the old one.
///
/// The window's smallest margin covers the losses the window saw; a run of lost packets longer
/// than any in the window makes an input late anyway. So the target itself adapts: each report of
/// a late input (negative margin) raises the target by a tick (up to three above the configured
/// one), and a minute without one lowers it again: a lossy path keeps a tick or two more than a
/// clean one, and a clean path predicts no further ahead than it must. After a late input the
/// lead is not lowered for 20 s either.
public struct InputLeadController: Sendable, Equatable {
    /// The smallest margin, in ticks, the controller aims to keep the player's arrivals at now.
    public private(set) var targetMargin: Int
    /// The configured target: the lowest the adaptive target goes.
    public let minTargetMargin: Int
    /// How long without a late input before the target comes down a tick.
    public var lateQuietMicros: Int64 = 60_000_000
    private var lastLateMicros: Int64 = 0
    private var lastTargetChangeMicros: Int64 = 0
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
    /// The smallest margin reported since `comfortableSinceMicros`.
    private var comfortableMin = Int.max

    public init(targetMargin: Int = 1, quietMicros: Int64 = 4_000_000) {
        self.targetMargin = targetMargin
        self.minTargetMargin = targetMargin
        self.quietMicros = quietMicros
    }

    /// A frame reported `margin`; `holdMicros` is how long a change takes to show in the report.
    /// `baseLead` is the formula's lead now and `maxLead` the configured cap (the adjusted lead
    /// stays within 1...maxLead).
    public mutating func observe(margin: Int8, nowMicros: Int64, holdMicros: Int64, baseLead: Int, maxLead: Int) {
        guard margin != PlayerAck.unknownMargin else { return }
        let m = Int(margin)
        lastMargin = m
        // Reports made under the previous lead say nothing about this one.
        if let last = lastChangeMicros, nowMicros < last + holdMicros { return }
        if m < 0 {
            targetMargin = min(minTargetMargin + 3, targetMargin + 1)
            lastLateMicros = nowMicros
            lastTargetChangeMicros = nowMicros
        } else if targetMargin > minTargetMargin, nowMicros >= lastTargetChangeMicros + lateQuietMicros {
            targetMargin -= 1
            lastTargetChangeMicros = nowMicros
        }
        if m < targetMargin {
            comfortableSinceMicros = nil
            let raised = min(maxLead - baseLead, adjustTicks + (targetMargin - m))
            if raised > adjustTicks {
                adjustTicks = raised
                raises += 1
                lastChangeMicros = nowMicros
            }
            return
        }
        guard m >= targetMargin + 2 else { comfortableSinceMicros = nil; return }
        if comfortableSinceMicros == nil { comfortableSinceMicros = nowMicros; comfortableMin = m }
        comfortableMin = min(comfortableMin, m)
        // After a late input the path has shown it has long loss runs or delay spikes: lowering
        // waits for a third of the target's quiet minute too.
        let lateQuiet = lastLateMicros == 0 || nowMicros >= lastLateMicros + lateQuietMicros / 3
        if let since = comfortableSinceMicros, nowMicros >= since + quietMicros, lateQuiet, baseLead + adjustTicks > 1 {
            adjustTicks -= min(comfortableMin - targetMargin - 1, baseLead + adjustTicks - 1)
            lowers += 1
            lastChangeMicros = nowMicros
            comfortableSinceMicros = nil  // the next lowering needs a quiet period under this lead
        }
    }

    /// The lead to use: the formula's plus the adjustment, within 1...maxLead.
    public func lead(base: Int, maxLead: Int) -> Int { min(maxLead, max(1, base + adjustTicks)) }
}
