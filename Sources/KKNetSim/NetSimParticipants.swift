import KKDelta
import KKPhysics
import KKPrediction

/// An input packet: the last few inputs (redundancy) plus the newest frame tick received.
struct InputPacket: Sendable {
    var player: Int
    var ack: UInt32?
    var inputs: [(tick: UInt32, input: KartInput)]
}

/// The authoritative side: steps the match, applies the missing-input policy, sends
/// per-client delta frames against each client's last acknowledged frame.
struct SimServer {
    var sim: MatchSimulation
    var inputs: ServerInputBuffer
    var frame: [KartInput] = []
    var history: [MatchState?]
    var acks: [UInt32?]
    var bytesSent = 0
    var framesSent = 0
    var fullFrameBytes = 0

    init(sim: MatchSimulation, players: Int) {
        self.sim = sim
        inputs = ServerInputBuffer(players: players, startTick: sim.state.tick)
        history = [MatchState?](repeating: nil, count: 128)
        acks = [UInt32?](repeating: nil, count: players)
    }

    mutating func receive(_ p: InputPacket) {
        for (t, i) in p.inputs { inputs.insert(player: p.player, tick: t, input: i) }
        if let a = p.ack, acks[p.player].map({ a > $0 }) ?? true { acks[p.player] = a }
    }

    /// Steps one tick; returns the per-client frames to send (if this is a send tick).
    mutating func step(sendInterval: Int, out: inout [[UInt8]]) {
        out.removeAll(keepingCapacity: true)
        inputs.take(for: sim.state, into: &frame)
        sim.step(inputs: frame)
        let s = sim.state
        guard Int(s.tick) % sendInterval == 0 else { return }
        history[Int(s.tick) % history.count] = s
        for p in 0..<acks.count {
            var baseline: MatchState?
            if let a = acks[p], let h = history[Int(a) % history.count], h.tick == a { baseline = h }
            var bytes: [UInt8] = []
            DeltaCodec.encode(s, baseline: baseline, into: &bytes)
            if baseline == nil && fullFrameBytes == 0 { fullFrameBytes = bytes.count }
            bytesSent += bytes.count
            framesSent += 1
            out.append(bytes)
        }
    }
}

/// One simulated client: a bot player on the shared `PredictionDriver` (predictor, decoded
/// frame ring, interpolation), plus the simulator's metrics.
struct SimClient {
    let slot: Int
    var driver: PredictionDriver
    var bot: BotDriver
    // Metrics.
    var corrections: [Double] = []
    var converge: [Double] = []
    var convergeCounter: Int?
    var depths: [Int] = []
    var rollbacks = 0
    var snaps = 0
    var applied = 0
    var stale = 0
    var decodeErrors = 0

    var predictor: ClientPredictor { driver.predictor }
    var interp: InterpolationBuffer { driver.interp }

    init(slot: Int, track: Track, rules: RaceRules, initial: MatchState, botSeed: UInt64, wobble: UInt64, interpDelay: Int,
         remoteGuess: ClientPredictor.RemoteInputGuess) throws(PredictionError) {
        self.slot = slot
        driver = try PredictionDriver(track: track, rules: rules, localSlot: slot, initial: initial,
                                      interpolationDelayTicks: interpDelay, frameRing: 128, remoteGuess: remoteGuess)
        bot = BotDriver(slot: slot, seed: botSeed, wobble: wobble)
    }

    mutating func receive(_ bytes: [UInt8], nowQ8: Int64) {
        do throws(DeltaError) {
            let h = try DeltaCodec.header(bytes)
            let baseline = h.baselineTick.flatMap { driver.frame(at: $0) }
            let state = try DeltaCodec.decode(bytes, baseline: baseline)
            guard let r = try? driver.accept(state, arrivalQ8: nowQ8) else { return }
            apply(r)
        } catch {
            decodeErrors += 1
        }
    }

    private mutating func apply(_ r: ClientPredictor.Reconciliation) {
        switch r.kind {
        case .stale: stale += 1
        case .confirmed, .fastForward: applied += 1
        case .rolledBack:
            applied += 1
            rollbacks += 1
            depths.append(r.depth)
            if r.correction > 0 {
                corrections.append(Double(r.correction) / 65_536)
                if r.snapped { snaps += 1; converge.append(0); convergeCounter = nil } else { convergeCounter = 0 }
            }
        }
    }

    /// Samples the bot's inputs for every tick up to `inputTick`, records them and
    /// returns the input packet to send (the last `redundancy` inputs).
    mutating func sampleInputs(upTo inputTick: UInt32, redundancy: Int) -> InputPacket {
        var bot = self.bot
        driver.record(upTo: inputTick) { sim in bot.input(state: sim.state, track: sim.track) }
        self.bot = bot
        return InputPacket(player: slot, ack: driver.newestFrame, inputs: driver.recent(upTo: inputTick, count: redundancy))
    }

    /// Predicts up to `tick`, then renders one frame (60 fps): smoothing decay,
    /// convergence tracking, remote-kart interpolation.
    mutating func render(predictTo tick: UInt32, renderTimeQ8: Int64) {
        driver.render(predictTo: tick, renderTimeQ8: renderTimeQ8)
        if let c = convergeCounter {
            if predictor.smoother.isSettled { converge.append(Double(c + 1)); convergeCounter = nil } else { convergeCounter = c + 1 }
        }
    }
}
