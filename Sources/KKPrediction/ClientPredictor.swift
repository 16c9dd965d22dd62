import KKPhysics

/// Client-side prediction with rollback.
///
/// The client runs the same `MatchSimulation` ahead of the server. Each local tick it
/// records its input and steps; remote karts' inputs after the latest authoritative frame are
/// guessed (``RemoteInputGuess``: by default they follow the track on their own line; or they
/// repeat their last input, the server's missing-input rule). When an
/// authoritative frame for tick T arrives it compares with what it predicted for T; on a
/// difference it restores T, re-simulates all unacknowledged local inputs up to now, and
/// hands the local kart's visual jump (old prediction − new prediction) to the
/// `CorrectionSmoother`.
public struct ClientPredictor: Sendable {
    /// How remote karts' inputs are guessed for the ticks the newest frame does not cover.
    public enum RemoteInputGuess: Equatable, Sendable {
        /// Repeat each remote kart's last known input.
        case repeatLast
        /// Keep the buttons; steer as ``TrackFollower`` does on the kart's lateral offset at the
        /// frame, plus the difference between the kart's real steering at the frame and that
        /// guess, halved every `residualHalfLifeTicks`. Kart contacts are where remote guesses
        /// matter; on 150 ms / 5% loss this halves the correction tail (LoadTests/RESULTS.md).
        case followTrack(residualHalfLifeTicks: Int)

        public static let `default` = RemoteInputGuess.followTrack(residualHalfLifeTicks: 3)
    }

    /// Outcome of `reconcile`.
    public struct Reconciliation: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// Older than or equal to an already applied frame: ignored.
            case stale
            /// The prediction for that tick was exact: nothing re-simulated.
            case confirmed
            /// Restored and re-simulated.
            case rolledBack
            /// The frame is ahead of the client's prediction: adopted as is.
            case fastForward
        }
        public var kind: Kind
        /// Ticks re-simulated (current tick − frame tick).
        public var depth: Int = 0
        /// Local kart's visual correction, Q16.16 metres (0 if none).
        public var correction: Int64 = 0
        /// The local kart's predicted state at the frame tick differed.
        public var localMispredicted = false
        /// The correction exceeded the snap threshold.
        public var snapped = false
    }

    public let localSlot: Int
    public let remoteGuess: RemoteInputGuess
    public private(set) var sim: MatchSimulation
    public private(set) var buffer: PredictionBuffer
    public private(set) var smoother: CorrectionSmoother
    /// Tick of the last applied authoritative frame.
    public private(set) var lastAuthoritativeTick: UInt32

    private var inputs: [KartInput]
    private let track: Track
    /// Per remote kart at the newest frame: lateral offset and steering residual (followTrack).
    private var remoteLateral: [Int64]
    private var remoteResidual: [Int64]
    private var historyTicks: [UInt32]
    private var historyHash: [UInt64]
    private var historyLocal: [KartState]

    public init(track: Track, rules: RaceRules? = nil, localSlot: Int, initial: MatchState,
                smoothing: CorrectionSmoother.Config = .init(), historyCapacity: Int = 256,
                remoteGuess: RemoteInputGuess = .default) throws(PredictionError) {
        guard localSlot >= 0 && localSlot < initial.karts.count else { throw .badLocalSlot(localSlot) }
        self.localSlot = localSlot
        self.remoteGuess = remoteGuess
        self.track = track
        sim = MatchSimulation(track: track, state: initial, rules: rules)
        buffer = PredictionBuffer(capacity: historyCapacity)
        smoother = CorrectionSmoother(config: smoothing)
        lastAuthoritativeTick = initial.tick
        inputs = initial.karts.map { $0.lastInput }
        remoteLateral = [Int64](repeating: 0, count: initial.karts.count)
        remoteResidual = remoteLateral
        if case .followTrack = remoteGuess {
            for i in initial.karts.indices { remoteLateral[i] = TrackFollower.lateral(initial.karts[i], track: track) }
        }
        historyTicks = [UInt32](repeating: .max, count: buffer.capacity)
        historyHash = [UInt64](repeating: 0, count: buffer.capacity)
        historyLocal = [KartState](repeating: initial.karts[localSlot], count: buffer.capacity)
        remember()
    }

    /// The tick the next `predict` will simulate (= the predicted state's tick).
    public var currentTick: UInt32 { sim.state.tick }
    /// The predicted local kart.
    public var localKart: KartState { sim.state.karts[localSlot] }
    /// Where to draw the local kart: prediction plus the smoothed correction offset.
    public var renderPosition: (x: Int64, y: Int64) {
        (Int64(localKart.x) + smoother.offsetX, Int64(localKart.y) + smoother.offsetY)
    }

    /// Records `localInput` for the current tick and predicts one tick ahead.
    public mutating func predict(localInput: KartInput) {
        record(localInput: localInput, at: sim.state.tick)
        advance(to: sim.state.tick &+ 1)
    }

    /// Records the local input for `tick` without simulating (input is sampled and sent
    /// first; `advance` simulates later, after network processing).
    public mutating func record(localInput: KartInput, at tick: UInt32) {
        buffer.record(tick: tick, input: localInput)
    }

    /// Predicts forward until the state's tick is `tick`, using recorded local inputs
    /// (a tick without one repeats the previous local input).
    public mutating func advance(to tick: UInt32) {
        while sim.state.tick < tick {
            if let recorded = buffer.input(at: sim.state.tick) { inputs[localSlot] = recorded }
            guessRemoteSteering()
            sim.step(inputs: inputs)
            remember()
        }
    }

    /// The local kart as predicted for `tick`, if that tick is still in the history ring
    /// (compare with an authoritative frame to measure prediction error).
    public func predictedLocal(at tick: UInt32) -> KartState? {
        let slot = Int(tick % UInt32(historyTicks.count))
        return historyTicks[slot] == tick ? historyLocal[slot] : nil
    }

    /// One rendered frame: decays the visual correction.
    public mutating func renderFrame() { smoother.decay() }

    /// Applies an authoritative frame.
    @discardableResult
    public mutating func reconcile(authoritative auth: MatchState) throws(PredictionError) -> Reconciliation {
        guard auth.karts.count == sim.state.karts.count else { throw .playerCountMismatch }
        guard auth.tick > lastAuthoritativeTick else { return Reconciliation(kind: .stale) }
        lastAuthoritativeTick = auth.tick
        buffer.acknowledge(before: auth.tick)
        for i in 0..<auth.karts.count where i != localSlot {
            inputs[i] = auth.karts[i].lastInput
            if case .followTrack = remoteGuess {
                remoteLateral[i] = TrackFollower.lateral(auth.karts[i], track: track)
                remoteResidual[i] = Int64(inputs[i].steer) - TrackFollower.steer(auth.karts[i], track: track, lateral: remoteLateral[i])
            }
        }
        let now = sim.state.tick
        if auth.tick > now {
            sim.restore(auth)
            inputs[localSlot] = auth.karts[localSlot].lastInput
            remember()
            return Reconciliation(kind: .fastForward)
        }
        let slot = Int(auth.tick % UInt32(historyTicks.count))
        let known = historyTicks[slot] == auth.tick
        if known && historyHash[slot] == auth.hash { return Reconciliation(kind: .confirmed) }
        let localMiss = !known || historyLocal[slot] != auth.karts[localSlot]
        let old = sim.state.karts[localSlot]
        sim.restore(auth)
        remember()
        var lastLocal = auth.karts[localSlot].lastInput
        while sim.state.tick < now {
            let t = sim.state.tick
            if let recorded = buffer.input(at: t) { lastLocal = recorded }
            inputs[localSlot] = lastLocal
            guessRemoteSteering()
            sim.step(inputs: inputs)
            remember()
        }
        let new = sim.state.karts[localSlot]
        let ex = Int64(old.x) - Int64(new.x), ey = Int64(old.y) - Int64(new.y)
        var result = Reconciliation(kind: .rolledBack, depth: Int(now - auth.tick))
        result.localMispredicted = localMiss
        result.correction = CorrectionSmoother.length(ex, ey)
        if result.correction > 0 { result.snapped = smoother.add(errorX: ex, errorY: ey) }
        return result
    }

    /// Sets the remote karts' steering for the step from the current tick (followTrack only;
    /// while racing, and only after the newest frame).
    private mutating func guessRemoteSteering() {
        guard case .followTrack(let halfLife) = remoteGuess, sim.state.race.phase == .racing else { return }
        let after = Int(sim.state.tick &- lastAuthoritativeTick)
        guard after > 0 else { return }
        let halvings = min(after / max(halfLife, 1), 62)
        for i in 0..<inputs.count where i != localSlot {
            let guess = TrackFollower.steer(sim.state.karts[i], track: track, lateral: remoteLateral[i])
            inputs[i].steer = Int8(Fx.clamp(guess + remoteResidual[i] / (Int64(1) << halvings), -127, 127))
        }
    }

    private mutating func remember() {
        let slot = Int(sim.state.tick % UInt32(historyTicks.count))
        historyTicks[slot] = sim.state.tick
        historyHash[slot] = sim.state.hash
        historyLocal[slot] = sim.state.karts[localSlot]
    }
}
