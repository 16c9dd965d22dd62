import Benchmark
import KKDelta
import KKPhysics
import KKPrediction

/// One 8-kart bot race on "canyon", recorded once: the initial racing state and every tick's inputs.
final class RaceFixture {
    static let players = 8
    static let logTicks = 2_048
    let track: Track
    let rules: RaceRules
    /// State when the recording starts (racing, karts spread out).
    let start: MatchState
    /// `inputs[t]`: every kart's input for tick `start.tick + t`.
    let inputs: [[KartInput]]
    /// `states[t]`: the state before applying `inputs[t]`.
    let states: [MatchState]

    init() {
        track = try! TrackCatalog.track(named: "canyon")
        var r = RaceRules(laps: 50)
        r.maxRaceTicks = .max // never time out, however long the benchmark runs
        rules = r
        var sim = MatchSimulation(track: track, playerCount: Self.players, seed: 3, rules: rules)
        var bots = (0..<Self.players).map { BotDriver(slot: $0, seed: 11) }
        var frame = [KartInput](repeating: .neutral, count: Self.players)
        // Countdown (180 ticks) + 10 s of racing so the field is spread out.
        for _ in 0..<(180 + 600) {
            for i in 0..<Self.players { frame[i] = bots[i].input(state: sim.state, track: track) }
            sim.step(inputs: frame)
        }
        start = sim.state
        var log: [[KartInput]] = []
        var states: [MatchState] = []
        for _ in 0..<Self.logTicks {
            for i in 0..<Self.players { frame[i] = bots[i].input(state: sim.state, track: track) }
            states.append(sim.state)
            log.append(frame)
            sim.step(inputs: frame)
        }
        precondition(sim.state.race.phase == .racing, "the recorded race must still be racing")
        inputs = log
        self.states = states
    }
}

/// Custom metrics: byte sizes (not scaled, recorded once per sample).
enum SizeMetric {
    static let fullFrame = BenchmarkMetric.custom("fullFrameBytes", useScalingFactor: false)
    static let deltaFrame = BenchmarkMetric.custom("deltaFrameBytes", useScalingFactor: false)
}

func physicsBenchmarks() {
    let race = RaceFixture()
    let n = RaceFixture.logTicks

    // MARK: step

    var sim = MatchSimulation(track: race.track, state: race.start, rules: race.rules)
    var t = 0
    Benchmark("Physics: MatchSimulation.step, 8 karts (per tick)", configuration: kkConfig(.kilo, iterations: 3_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            sim.step(inputs: race.inputs[t])
            t += 1
            if t == n { sim.restore(race.start); t = 0 } // replay the recorded race again (1 copy-on-write / 2048 ticks)
        }
        blackHole(sim.state.tick)
    }

    // MARK: rollback

    let depth = 14
    let t0 = 1_000
    let rollbackFrom = race.states[t0]
    var rsim = MatchSimulation(track: race.track, state: race.start, rules: race.rules)
    Benchmark("Physics: rollback restore + re-sim 14 ticks, 8 karts", configuration: kkConfig(.one, iterations: 20_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            rsim.restore(rollbackFrom)
            for j in 0..<depth { rsim.step(inputs: race.inputs[t0 + j]) }
        }
        blackHole(rsim.state.tick)
    }
    // Sanity: the re-simulated ticks reproduce the recording.
    rsim.restore(rollbackFrom)
    for j in 0..<depth { rsim.step(inputs: race.inputs[t0 + j]) }
    guard rsim.state == race.states[t0 + depth] else { fatalError("rollback re-simulation diverged") }

    // ClientPredictor.reconcile: an authoritative frame 14 ticks old that differs from the
    // prediction (remote karts predicted wrongly), so it restores and re-simulates 14 ticks.
    // Each sample: predict one tick (not measured), then reconcile against the server's state
    // of 14 ticks ago (measured).
    var predictor = try! ClientPredictor(track: race.track, rules: race.rules, localSlot: 0, initial: race.start)
    var pt = 0
    Benchmark("Prediction: ClientPredictor.reconcile, 14-tick rollback", configuration: kkConfig(.one, iterations: 1_900)) { benchmark in
        // The predictor holds 256 ticks of history; stay inside the recorded log.
        if pt + depth + 1 >= n {
            predictor = try! ClientPredictor(track: race.track, rules: race.rules, localSlot: 0, initial: race.start)
            pt = 0
        }
        while Int(predictor.currentTick &- race.start.tick) < pt + depth {
            let k = Int(predictor.currentTick &- race.start.tick)
            predictor.predict(localInput: race.inputs[k][0])
        }
        let auth = race.states[pt + 1]
        benchmark.startMeasurement()
        let r = try! predictor.reconcile(authoritative: auth)
        benchmark.stopMeasurement()
        blackHole(r)
        pt += 1
    }

    // MARK: delta

    let dt = 6
    let td = 1_200
    let baseline = race.states[td - dt]
    let current = race.states[td]
    var full: [UInt8] = []
    DeltaCodec.encode(current, baseline: nil, into: &full)
    var delta: [UInt8] = []
    DeltaCodec.encode(current, baseline: baseline, into: &delta)
    guard try! DeltaCodec.decode(delta, baseline: baseline) == current,
          try! DeltaCodec.decode(full, baseline: nil) == current else { fatalError("delta round trip") }
    var canonical: [UInt8] = []
    current.serialize(into: &canonical)
    // Delta size over the whole recording (every tick vs 6 ticks older).
    var sizes: [Int] = []
    for i in dt..<n {
        var out: [UInt8] = []
        DeltaCodec.encode(race.states[i], baseline: race.states[i - dt], into: &out)
        sizes.append(out.count)
    }
    sizes.sort()
    let mean = Double(sizes.reduce(0, +)) / Double(sizes.count)
    let sizeLines = ["[sizes] 8-kart state: canonical \(canonical.count) B; DeltaCodec full frame \(full.count) B; "
           + "delta vs 6 ticks older \(delta.count) B at the benchmarked tick; over \(sizes.count) ticks: "
           + "min \(sizes.first!) p50 \(sizes[sizes.count / 2]) mean \(String(format1: mean)) max \(sizes.last!) B",
                     "[sizes] on the wire (FramePacket = 20 B full / 24 B delta header+crc + payload): full \(full.count + 20) B, "
           + "delta \(delta.count + 24) B"]

    var out: [UInt8] = []
    out.reserveCapacity(2_048)
    Benchmark("Delta: encode+decode, 8 karts vs 6 ticks older",
              configuration: kkConfig(.kilo, iterations: 3_000, extra: [SizeMetric.fullFrame, SizeMetric.deltaFrame])) { benchmark in
        for _ in benchmark.scaledIterations {
            out.removeAll(keepingCapacity: true)
            DeltaCodec.encode(current, baseline: baseline, into: &out)
            blackHole(try! DeltaCodec.decode(out, baseline: baseline))
        }
        benchmark.measurement(SizeMetric.fullFrame, full.count)
        benchmark.measurement(SizeMetric.deltaFrame, out.count)
    } setup: {
        for line in sizeLines { report(line) }
    }
    Benchmark("Delta: encode only", configuration: kkConfig(.kilo, iterations: 3_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            out.removeAll(keepingCapacity: true)
            DeltaCodec.encode(current, baseline: baseline, into: &out)
        }
        blackHole(out.count)
    }
    Benchmark("Delta: decode only", configuration: kkConfig(.kilo, iterations: 3_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! DeltaCodec.decode(delta, baseline: baseline))
        }
    }
    Benchmark("Delta: full-state encode (baseline nil)", configuration: kkConfig(.kilo, iterations: 3_000)) { benchmark in
        for _ in benchmark.scaledIterations {
            out.removeAll(keepingCapacity: true)
            DeltaCodec.encode(current, baseline: nil, into: &out)
        }
        blackHole(out.count)
    }
}

extension String {
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
