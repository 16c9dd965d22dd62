import KKPhysics
import KKPrediction
import KKWire

/// The transport-agnostic client core: one player's session with a relay. No sockets, no
/// clock, no globals: the caller passes the time, feeds received datagram plaintext to
/// ``receive(_:nowMillis:)`` and sends what ``drainOutgoing(_:)`` hands it. Many sessions can
/// live in one process (load tests). Not thread-safe: one thread drives a session.
///
/// Life: ``start(nowMillis:)`` -> connecting; the transport reports ``handshakeStarted(relay:nowMillis:)``
/// and ``handshakeCompleted(nowMillis:)`` (Hello is sent: joining); Welcome -> playing;
/// ``relayChanged(relay:nowMillis:)`` -> resuming (Hello(resume) after the next handshake);
/// Disconnect, a transport failure, silence or ``quit(nowMillis:)`` -> ended.
///
/// Inputs: ``update(nowMillis:input:)`` at 60 Hz records the input for each newly predicted
/// tick, predicts, and every `sendEveryTicks` updates queues an input packet with the newest
/// input and up to `inputRedundancy - 1` older ones the shard has not applied yet.
///
/// Tick convention on the wire: an input's tick is the tick of the state it produces (the
/// shard applies input tick T when stepping from T - 1 to T); locally it is recorded at T - 1.
public final class ClientSession {
    public let config: ClientConfig
    public let track: Track
    public internal(set) var state: ClientState = .idle
    public internal(set) var stats = ClientStats()
    /// The relay the transport talks to (HUD).
    public internal(set) var relayAddress = ""
    /// From Welcome.
    public internal(set) var playerId: UInt64 = 0
    public internal(set) var matchId: UInt64 = 0
    public internal(set) var slot: Int?
    /// The resume ticket of the last Welcome (PSK identity for the next relay).
    public internal(set) var resumeTicket: [UInt8] = []

    var driver: PredictionDriver?
    var clock: ServerClock
    var rtt = RttEstimator()
    /// Decides when a silent relay is dead (``relayTimeoutMillis``) and when to probe it.
    public internal(set) var relayWatch = RelayWatch()
    var leadControl: InputLeadController
    var outgoing: OutgoingQueue
    var corrections = DistanceHistogram()
    var predictionErrors = DistanceHistogram()
    var payload: [UInt8] = []
    var remotePoses: [InterpolationBuffer.Pose?] = []

    // Input sequence mapping: seq(t) = seqAnchor + (t - tickAnchor), t a local input tick.
    var seqAnchor: UInt32 = 1
    var tickAnchor: UInt32?
    /// Newest input sequence the shard applied (from Welcome and frames).
    var ackedSeq: UInt32 = 0
    var lastSentSeq: UInt32?
    /// After a resume: the first input the shard has not applied. The inputs from there up to
    /// the redundancy window of the next packet go first, in packets of up to 32 (a relay
    /// silent for half a second holds more unacknowledged inputs than one packet repeats).
    var catchUpFromSeq: UInt32?
    var updatesSinceSend = 0
    // Timers (microseconds of caller time).
    var lastHeardMicros: Int64 = 0
    var phaseStartMicros: Int64 = 0
    var lastHelloMicros: Int64 = 0
    var helloSent = false
    /// The relay told this session to move (it drains): the transport must be replaced
    /// (``GameClient`` does it and clears the flag).
    public var moveRequested = false
    var nextPingMicros: Int64 = 0
    var pingId: UInt32 = 0
    var correctionWindowStart: Int64 = 0
    var correctionWindowCount = 0
    var firstFrameTick: UInt32?
    /// Load-test probe (nil: no cost beyond one check per recorded tick and per acked frame).
    public var probe: SessionProbe? {
        didSet { if probe != nil && probeSeqs.isEmpty { probeSeqs = .init(repeating: 0, count: 512); probeMicros = .init(repeating: 0, count: 512) } }
    }
    var probeSeqs: [UInt32] = []
    var probeMicros: [Int64] = []

    /// - Throws: ``ClientError/badConfig(_:)``, ``ClientError/badTrack(_:)``.
    public init(config: ClientConfig = ClientConfig()) throws(ClientError) {
        try config.validate()
        self.config = config
        do { track = try config.trackSource.map { (t) throws(PhysicsError) in try TrackParser.parse(t) } ?? TrackCatalog.track(named: config.track) } catch {
            throw .badTrack(config.track)
        }
        clock = ServerClock(tickRate: MatchSimulation.ticksPerSecond)
        leadControl = InputLeadController(targetMargin: config.targetInputMargin)
        outgoing = OutgoingQueue(slots: config.outgoingSlots)
        payload.reserveCapacity(Limits.maxFramePayloadBytes)
    }

    // MARK: transport events

    /// The game asked to play: the transport contacts the match service and a relay.
    public func start(nowMillis: UInt64) {
        guard state == .idle else { return }
        enter(.connecting, nowMillis: nowMillis)
    }

    /// The transport began the DTLS handshake with `relay`.
    public func handshakeStarted(relay: String, nowMillis: UInt64) {
        relayAddress = relay
        if state == .connecting || state == .idle { enter(.handshaking, nowMillis: nowMillis) }
    }

    /// The handshake completed: send Hello (join, or resume after a relay change).
    public func handshakeCompleted(nowMillis: UInt64) {
        let now = Self.micros(nowMillis)
        switch state {
        case .idle, .connecting, .handshaking: enter(.joining, nowMillis: nowMillis)
        case .resuming: phaseStartMicros = now
        default: return
        }
        lastHeardMicros = now
        sendHello(now)
    }

    /// The transport gave up.
    public func connectionFailed(_ failure: TransportFailure) {
        guard !state.isEnded else { return }
        switch failure {
        case .unreachable: state = .ended(.unreachable)
        case .relayUnreachable: state = .ended(.relayUnreachable)
        case .handshakeFailed: state = .ended(.handshakeFailed)
        case .tokenExpired: state = .ended(.tokenExpired)
        }
    }

    /// The route moved to another relay (or the relay died or drains): the transport
    /// re-handshakes (with the resume ticket) and calls ``handshakeCompleted(nowMillis:)``.
    public func relayChanged(relay: String?, nowMillis: UInt64) {
        guard state == .playing || state == .joining || state == .resuming else { return }
        if let relay { relayAddress = relay }
        enter(.resuming, nowMillis: nowMillis)
        helloSent = false
    }

    /// The player quits: a Disconnect is queued and the session ends.
    public func quit(nowMillis: UInt64) {
        guard !state.isEnded else { return }
        if state == .playing || state == .joining || state == .resuming {
            queue(DisconnectPacket(reason: .clientQuit))
        }
        state = .ended(.quit)
    }

    /// The silence after which the relay counts as dead, ms (``RelayWatch``: from the frame
    /// interval, the measured downlink loss, RTT and jitter).
    public var relayTimeoutMillis: Double {
        relayWatch.timeoutMillis(frameIntervalMillis: Double(config.frameIntervalTicks) * 1000 / Double(MatchSimulation.ticksPerSecond),
                                 rttMillis: stats.rttMillis, jitterMillis: stats.rttJitterMillis)
    }

    /// Sends a ping now (a probe of a silent relay; its pong proves the relay alive).
    public func probe(nowMillis: UInt64) {
        nextPingMicros = 0
        pingIfDue(Self.micros(nowMillis))
    }

    // MARK: output

    /// Hands every queued plaintext packet to the transport (valid during the call only).
    public func drainOutgoing(_ send: (UnsafeRawBufferPointer) -> Void) { outgoing.drain(send) }

    /// Packets waiting for ``drainOutgoing(_:)``.
    public var outgoingCount: Int { outgoing.count }

    // MARK: views for the game

    /// The predicted match state (nil before the first frame).
    public var predictedState: MatchState? { driver?.predictor.sim.state }
    /// The newest authoritative frame.
    public var authoritativeState: MatchState? {
        guard let d = driver, let t = d.newestFrame else { return nil }
        return d.frame(at: t)
    }
    /// Ticks predicted ahead of the estimated server tick.
    public var leadTicks: Int { stats.leadTicks }
    /// One line for the HUD.
    public var statusText: String { state.message }

    /// What to draw: the predicted state with the local kart at its smoothed position and
    /// remote karts at their interpolated poses (allocates a copy; UI only).
    public func renderState() -> MatchState? {
        guard let d = driver else { return nil }
        var s = d.predictor.sim.state
        let (x, y) = d.predictor.renderPosition
        s.karts[d.predictor.localSlot].x = Int32(clamping: x)
        s.karts[d.predictor.localSlot].y = Int32(clamping: y)
        for k in 0..<min(s.karts.count, remotePoses.count) where k != d.predictor.localSlot {
            if let p = remotePoses[k] {
                s.karts[k].x = Int32(clamping: p.x); s.karts[k].y = Int32(clamping: p.y); s.karts[k].heading = p.heading
            }
        }
        return s
    }

    // MARK: helpers

    static func micros(_ millis: UInt64) -> Int64 { Int64(truncatingIfNeeded: millis &* 1_000) }

    func enter(_ s: ClientState, nowMillis: UInt64) {
        state = s
        phaseStartMicros = Self.micros(nowMillis)
    }

    func sendHello(_ now: Int64) {
        let mode: HelloPacket.Mode = state == .resuming ? .resume : .join
        let next = driver.map { seq(ofTick: $0.nextInputTick) } ?? seqAnchor
        queue(HelloPacket(mode: mode, lastFrameTick: driver?.newestFrame ?? 0, nextInputSeq: next, trace: config.trace))
        helloSent = true
        lastHelloMicros = now
    }

    func queue<P: WirePacket>(_ p: P) {
        let pid = config.protocolId
        let n = outgoing.push { (w) throws(WireError) in try p.encode(protocolId: pid, into: &w) }
        if n == 0 { stats.outgoingDropped += 1 } else { stats.bytesUp += n }
    }

    func seq(ofTick t: UInt32) -> UInt32 { seqAnchor &+ (t &- (tickAnchor ?? t)) }
    /// The local input tick of sequence number `s` (inverse of ``seq(ofTick:)``).
    func tick(ofSeq s: UInt32) -> UInt32 { (tickAnchor ?? 0) &+ (s &- seqAnchor) }
}
