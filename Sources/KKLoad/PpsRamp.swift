/// One level of the full-path max-pps ramp (`kk-load maxpps`): lean DTLS clients sending
/// inputs at the game's tick rate through a real relay to a real shard, measured over a window
/// after the level settled. Rates are per second over the window.
///
/// The criterion is udpbench's, applied to the game path: a level is *held* when the generator
/// kept its schedule (sent at least 98% of the offered input datagrams), at most 1% of the
/// inputs sent failed to be applied by the shard (upstream), and at most 1% of the frames the
/// shard produced for these clients failed to arrive (downstream).
public struct PpsLevel: Sendable, Equatable, Codable {
    public var clients: Int
    /// Input datagrams per second the schedule asked for (clients x Hz).
    public var offeredPps: Double
    /// Input datagrams per second the generator sent.
    public var sentPps: Double
    /// New inputs per second carried by what was sent (sentPps x inputs per packet beyond redundancy).
    public var inputsSentPerSecond: Double
    /// Inputs per second the relay forwarded (its own counter) and the shard applied.
    public var inputsForwardedPerSecond: Double
    public var inputsAppliedPerSecond: Double
    /// Frames per second the clients should have received (clients x frame rate) and did.
    public var framesExpectedPerSecond: Double
    public var framesReceivedPerSecond: Double
    /// Input-sent -> frame-showing-it-applied, milliseconds.
    public var latencyMillis: HistogramSummary
    /// Percent of one core over the window.
    public var generatorCpuPercent: Double
    public var relayCpuPercent: Double
    public var shardCpuPercent: Double
    /// Relay datagrams per second, in and out (its counters), and its CPU per datagram.
    public var relayDatagramsPerSecond: Double
    public var relayMicrosPerDatagram: Double
    /// Clients whose handshake or join failed at this level (cumulative).
    public var failedClients: Int

    public init(clients: Int, offeredPps: Double, sentPps: Double, inputsSentPerSecond: Double,
                inputsForwardedPerSecond: Double, inputsAppliedPerSecond: Double,
                framesExpectedPerSecond: Double, framesReceivedPerSecond: Double, latencyMillis: HistogramSummary,
                generatorCpuPercent: Double, relayCpuPercent: Double, shardCpuPercent: Double,
                relayDatagramsPerSecond: Double, relayMicrosPerDatagram: Double, failedClients: Int) {
        self.clients = clients
        self.offeredPps = offeredPps
        self.sentPps = sentPps
        self.inputsSentPerSecond = inputsSentPerSecond
        self.inputsForwardedPerSecond = inputsForwardedPerSecond
        self.inputsAppliedPerSecond = inputsAppliedPerSecond
        self.framesExpectedPerSecond = framesExpectedPerSecond
        self.framesReceivedPerSecond = framesReceivedPerSecond
        self.latencyMillis = latencyMillis
        self.generatorCpuPercent = generatorCpuPercent
        self.relayCpuPercent = relayCpuPercent
        self.shardCpuPercent = shardCpuPercent
        self.relayDatagramsPerSecond = relayDatagramsPerSecond
        self.relayMicrosPerDatagram = relayMicrosPerDatagram
        self.failedClients = failedClients
    }

    /// Fraction of the inputs sent that the shard did not apply (0 when nothing was sent).
    public var upLoss: Double { inputsSentPerSecond > 0 ? max(0, 1 - inputsAppliedPerSecond / inputsSentPerSecond) : 0 }
    /// Fraction of the expected frames that did not arrive.
    public var downLoss: Double { framesExpectedPerSecond > 0 ? max(0, 1 - framesReceivedPerSecond / framesExpectedPerSecond) : 0 }
    /// Fraction of the offered schedule that was sent.
    public var scheduleKept: Double { offeredPps > 0 ? sentPps / offeredPps : 0 }

    /// Why the level was not held, or `nil` when it was.
    public func failure(maxLoss: Double = 0.01, minSchedule: Double = 0.98) -> String? {
        if offeredPps <= 0 { return "nothing offered" }
        if scheduleKept < minSchedule { return String(format: "generator sent %.1f%% of the schedule", scheduleKept * 100) }
        if upLoss > maxLoss { return String(format: "upstream loss %.2f%%", upLoss * 100) }
        if downLoss > maxLoss { return String(format: "downstream loss %.2f%%", downLoss * 100) }
        return nil
    }

    public var held: Bool { failure() == nil }
}

/// The ramp's plan and verdict: levels in pps tried upward until one fails, then bisected.
public struct PpsRamp: Sendable, Equatable {
    /// Offered pps levels to try in order.
    public var levels: [Double]
    /// Bisection steps between the highest level held and the lowest that failed.
    public var bisect: Int

    public init(levels: [Double], bisect: Int) {
        self.levels = levels.sorted()
        self.bisect = bisect
    }

    /// Clients needed to offer `pps` at `hz` per client.
    public static func clients(forPps pps: Double, hz: Int) -> Int { max(1, Int((pps / Double(max(1, hz))).rounded())) }

    /// The next level to try after the results so far, or `nil` when the search is over:
    /// upward through `levels` until the first failure, then `bisect` midpoints.
    public func next(after results: [(pps: Double, held: Bool)]) -> Double? {
        let failedAt = results.filter { !$0.held }.map(\.pps).min()
        guard let failedAt else {
            let tried = Set(results.map(\.pps))
            return levels.first { !tried.contains($0) }
        }
        let firstFailure = results.firstIndex { !$0.held }!
        let bisected = results.count - 1 - firstFailure
        guard bisected < bisect else { return nil }
        let lo = results.filter { $0.held && $0.pps < failedAt }.map(\.pps).max() ?? 0
        let mid = ((lo + failedAt) / 2).rounded()
        return mid > lo && mid < failedAt ? mid : nil
    }

    /// The highest level held below every failed level.
    public static func maxHeld(_ results: [(pps: Double, held: Bool)]) -> Double? {
        let failedAt = results.filter { !$0.held }.map(\.pps).min() ?? .infinity
        return results.filter { $0.held && $0.pps < failedAt }.map(\.pps).max()
    }
}
