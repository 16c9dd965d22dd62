import KKBytes
import KKDelta
import KKPhysics
import KKPrediction

/// Netcode simulator: one authoritative server and N bot clients stepping in virtual
/// time over impaired links (latency, jitter, loss, reordering, duplication, all seeded),
/// running the real prediction, rollback, smoothing, delta codec and interpolation code.
///
/// Per tick k (virtual time k/60 s), in causal order: (1) clients receive due frames and
/// reconcile; (2) clients sample their input for tick k + lead and send an input packet
/// (last `inputRedundancy` inputs + ack); (3) the server receives due input packets, steps
/// tick k (missing inputs: repeat last) and, every `sendIntervalTicks`, sends each client a
/// delta frame against its last acknowledged frame; (4) clients receive frames due now
/// (only possible at zero latency); (5) clients predict up to tick k + lead + 1 and render.
public struct NetSim {
    public let config: NetSimConfig
    public let leadTicks: Int
    private var server: SimServer
    private var clients: [SimClient]
    private var uplink: VirtualLink<InputPacket>
    private var downlink: VirtualLink<[UInt8]>

    static func time(ofTick k: Int) -> Int64 { Int64(k) * 1_000_000 / 60 }

    public init(config: NetSimConfig) throws(NetSimError) {
        guard config.players >= 1 && config.players <= Limits.maxPlayersPerMatch else { throw .badConfig("players") }
        guard config.sendIntervalTicks >= 1 else { throw .badConfig("sendIntervalTicks") }
        self.config = config
        let track: Track
        do { track = try TrackCatalog.track(named: config.track) } catch { throw .physics(error) }
        let rules = RaceRules(laps: config.laps)
        let sim = MatchSimulation(track: track, playerCount: config.players, seed: config.seed, rules: rules)
        server = SimServer(sim: sim, players: config.players)
        clients = []
        for p in 0..<config.players {
            do {
                clients.append(try SimClient(slot: p, track: track, rules: rules, initial: sim.state, botSeed: config.seed,
                                             wobble: config.botWobble, interpDelay: config.interpolationDelayTicks,
                                             remoteGuess: config.remoteGuess))
            } catch { throw .badConfig("client \(p)") }
        }
        let tickMicros: Int64 = 16_667
        leadTicks = Int((config.uplink.maxDelayMicros + tickMicros - 1) / tickMicros) + config.extraLeadTicks
        uplink = VirtualLink(conditions: config.uplink, seed: config.seed &+ 101)
        downlink = VirtualLink(conditions: config.downlink, seed: config.seed &+ 202)
    }

    /// Runs `config.ticks` ticks and reports.
    public mutating func run() -> NetSimReport {
        var upBatch: [(destination: Int, payload: InputPacket)] = []
        var downBatch: [(destination: Int, payload: [UInt8])] = []
        var frames: [[UInt8]] = []
        let downDelayTicks = Int64((config.downlink.latencyMicros + 16_666) / 16_667)
        for k in 0..<config.ticks {
            let now = NetSim.time(ofTick: k)
            let nowQ8 = Int64(k) * 256
            downlink.deliver(until: now, into: &downBatch)
            for (dest, bytes) in downBatch { clients[dest].receive(bytes, nowQ8: nowQ8) }
            for c in 0..<clients.count {
                let packet = clients[c].sampleInputs(upTo: UInt32(k + leadTicks), redundancy: config.inputRedundancy)
                uplink.send(packet, to: 0, now: now)
            }
            uplink.deliver(until: now, into: &upBatch)
            for (_, packet) in upBatch { server.receive(packet) }
            server.step(sendInterval: config.sendIntervalTicks, out: &frames)
            for (p, bytes) in frames.enumerated() { downlink.send(bytes, to: p, now: now) }
            downlink.deliver(until: now, into: &downBatch)
            for (dest, bytes) in downBatch { clients[dest].receive(bytes, nowQ8: nowQ8) }
            let renderQ8 = nowQ8 - (downDelayTicks + Int64(config.interpolationDelayTicks)) * 256
            for c in 0..<clients.count {
                clients[c].render(predictTo: UInt32(k + leadTicks + 1), renderTimeQ8: renderQ8)
            }
        }
        return report()
    }

    private func report() -> NetSimReport {
        var r = NetSimReport()
        let n = Double(clients.count)
        r.clients = clients.count
        r.seconds = Double(config.ticks) / 60
        r.leadTicks = leadTicks
        let corrections = clients.flatMap { $0.corrections }
        let depths = clients.flatMap { $0.depths }
        let converge = clients.flatMap { $0.converge }
        r.mispredictionsPerSecond = Double(corrections.count) / n / r.seconds
        r.rollbacksPerSecond = Double(clients.reduce(0) { $0 + $1.rollbacks }) / n / r.seconds
        r.correctionMean = corrections.isEmpty ? 0 : corrections.reduce(0, +) / Double(corrections.count)
        r.correctionP99 = NetSimReport.percentile(corrections, 0.99)
        r.correctionMax = corrections.max() ?? 0
        r.snaps = clients.reduce(0) { $0 + $1.snaps }
        r.rollbackDepthMean = depths.isEmpty ? 0 : Double(depths.reduce(0, +)) / Double(depths.count)
        r.rollbackDepthMax = depths.max() ?? 0
        r.framesToConvergeMean = converge.isEmpty ? 0 : converge.reduce(0, +) / Double(converge.count)
        r.framesToConvergeP99 = NetSimReport.percentile(converge, 0.99)
        r.framesApplied = clients.reduce(0) { $0 + $1.applied }
        r.framesStale = clients.reduce(0) { $0 + $1.stale }
        r.decodeErrors = clients.reduce(0) { $0 + $1.decodeErrors }
        r.missingInputsPerSecond = Double(server.inputs.missingCount) / n / r.seconds
        r.lateInputs = server.inputs.lateCount
        r.downlinkKbpsPerClient = Double(server.bytesSent) * 8 / 1000 / n / r.seconds
        r.meanFrameBytes = server.framesSent == 0 ? 0 : Double(server.bytesSent) / Double(server.framesSent)
        r.fullFrameBytes = server.fullFrameBytes
        let samples = clients.reduce(0) { $0 + $1.interp.samples }
        r.interpolationUnderrunRate = samples == 0 ? 0 : Double(clients.reduce(0) { $0 + $1.interp.underruns }) / Double(samples)
        r.serverTicks = Int(server.sim.state.tick)
        return r
    }

    /// The server's current state (for tests).
    public var serverState: MatchState { server.sim.state }
}
