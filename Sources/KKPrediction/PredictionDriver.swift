import KKPhysics

/// Drives a `ClientPredictor` the way every client does (the netcode simulator's bots and the
/// real client SDK share it): keeps a small ring of decoded authoritative frames by tick (the
/// baselines delta frames refer to), feeds each new frame to the predictor (rollback,
/// re-simulation, smoothing) and to the remote-kart `InterpolationBuffer`, records local
/// inputs tick by tick and predicts ahead.
///
/// Tick convention: the input recorded "at tick t" is applied by the step from state t to
/// state t + 1 (as in `ClientPredictor`).
public struct PredictionDriver: Sendable {
    public private(set) var predictor: ClientPredictor
    public private(set) var interp: InterpolationBuffer
    /// Newest authoritative frame tick received (nil: none after the initial state).
    public private(set) var newestFrame: UInt32?
    /// The next tick without a recorded local input.
    public private(set) var nextInputTick: UInt32
    private var received: [MatchState?]
    private var redundant: [(tick: UInt32, input: KartInput)] = []

    /// - Parameters:
    ///   - initial: the first authoritative state (kept as a baseline too).
    ///   - frameRing: decoded frames kept as delta baselines.
    public init(track: Track, rules: RaceRules?, localSlot: Int, initial: MatchState,
                interpolationDelayTicks: Int = 6, frameRing: Int = 128,
                remoteGuess: ClientPredictor.RemoteInputGuess = .default) throws(PredictionError) {
        predictor = try ClientPredictor(track: track, rules: rules, localSlot: localSlot, initial: initial,
                                        remoteGuess: remoteGuess)
        interp = InterpolationBuffer(playerCount: initial.karts.count, delayTicks: interpolationDelayTicks)
        received = [MatchState?](repeating: nil, count: max(frameRing, 8))
        received[Int(initial.tick % UInt32(received.count))] = initial
        nextInputTick = initial.tick
    }

    /// The stored frame at `tick`, if still held (a delta frame's baseline).
    public func frame(at tick: UInt32) -> MatchState? {
        guard let s = received[Int(tick % UInt32(received.count))], s.tick == tick else { return nil }
        return s
    }

    /// Stores a decoded authoritative frame that arrived at `arrivalQ8` (1/256 ticks of local
    /// time), feeds the interpolation buffer and reconciles the prediction with it.
    public mutating func accept(_ state: MatchState, arrivalQ8: Int64) throws(PredictionError) -> ClientPredictor.Reconciliation {
        received[Int(state.tick % UInt32(received.count))] = state
        if newestFrame.map({ state.tick > $0 }) ?? true { newestFrame = state.tick }
        interp.push(state, arrivalQ8: arrivalQ8)
        return try predictor.reconcile(authoritative: state)
    }

    /// Records a local input for every tick from `nextInputTick` up to `tick`, asking `input`
    /// for each one with the current predicted simulation.
    public mutating func record(upTo tick: UInt32, input: (MatchSimulation) -> KartInput) {
        while nextInputTick <= tick {
            predictor.record(localInput: input(predictor.sim), at: nextInputTick)
            nextInputTick &+= 1
        }
    }

    /// The last `count` recorded inputs up to `tick`, oldest first (redundant sending).
    public mutating func recent(upTo tick: UInt32, count: Int) -> [(tick: UInt32, input: KartInput)] {
        predictor.buffer.recent(upTo: tick, count: count, into: &redundant)
        return redundant
    }

    /// Predicts up to `tick` and renders one frame: smoothing decay, then samples every remote
    /// kart at `renderTimeQ8` (server ticks, 1/256) into `poses` when given.
    public mutating func render(predictTo tick: UInt32, renderTimeQ8: Int64,
                                poses: UnsafeMutableBufferPointer<InterpolationBuffer.Pose?>? = nil) {
        predictor.advance(to: tick)
        predictor.renderFrame()
        for k in 0..<interp.playerCount where k != predictor.localSlot {
            let p = interp.sample(kart: k, atQ8: renderTimeQ8)
            if let poses, k < poses.count { poses[k] = p }
        }
    }
}
