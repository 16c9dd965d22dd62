import KKPhysics
import KKResultsCore
import KKWire

/// One match on a shard: the authoritative simulation, its players' slots and input queues,
/// and which relay each player is connected through. Pure logic, no I/O.
///
/// A class so per-input and per-tick updates go through a reference: as a struct in the
/// shard's dictionary every `matches[id]!.step()` paid a heap-allocated `_modify` frame.
public final class MatchHost {
    public let matchId: UInt64
    public private(set) var simulation: MatchSimulation
    /// Player id per kart slot; nil = free.
    public private(set) var players: [UInt64?]
    /// The relay each player's session lives on; nil = not connected right now.
    public private(set) var relayOf: [RelayLink?]
    /// Newest input sequence applied per slot.
    public private(set) var lastAppliedSeq: [UInt32]
    /// How early each slot's inputs arrive (reported in every frame).
    public private(set) var timing: [InputTiming]
    private var inputs: ServerInputBuffer
    /// Input sequence per (slot, tick % capacity), to know what was applied.
    private var seqRing: [UInt32]
    private var stepInputs: [KartInput]
    private let ringCapacity = 256
    /// Ticks since the race finished (the match is removed some time after).
    public private(set) var ticksSinceFinish: UInt32 = 0
    /// True once the first player joined (the countdown runs from then).
    public private(set) var started = false
    /// Every input change applied, from the first tick (the race's result is re-simulated from
    /// it); nil for a match adopted from a stored state (this shard did not see its beginning).
    public private(set) var log: InputLog?
    private var loggedInputs: [KartInput] = []
    /// Network figures per slot (``MatchTelemetry``), counted as inputs arrive and ticks step.
    public private(set) var telemetry: [MatchTelemetry.Player]
    /// Ticks stepped by this shard.
    public private(set) var ticksStepped: UInt32 = 0

    public convenience init(matchId: UInt64, track: Track, slots: Int, seed: UInt64, laps: UInt8? = nil) {
        self.init(matchId: matchId, simulation: MatchSimulation(track: track, playerCount: slots, seed: seed,
                                                               rules: laps.map { RaceRules(laps: $0) }))
        log = InputLog(track: track.name, players: slots, seed: seed, laps: simulation.state.race.totalLaps)
    }

    /// Resumes a match from a stored authoritative state (adoption after a shard failure).
    public init(matchId: UInt64, simulation: MatchSimulation, players: [UInt64?]? = nil, lastAppliedSeq: [UInt32]? = nil) {
        self.matchId = matchId
        self.simulation = simulation
        let n = simulation.state.playerCount
        self.players = players ?? [UInt64?](repeating: nil, count: n)
        self.relayOf = [RelayLink?](repeating: nil, count: n)
        self.lastAppliedSeq = lastAppliedSeq ?? [UInt32](repeating: 0, count: n)
        self.timing = [InputTiming](repeating: InputTiming(), count: n)
        inputs = ServerInputBuffer(players: n, startTick: simulation.state.tick &+ 1)
        seqRing = [UInt32](repeating: 0, count: n * 256)
        stepInputs = [KartInput](repeating: .neutral, count: n)
        telemetry = (0..<n).map { MatchTelemetry.Player(slot: $0, playerId: players?[$0]) }
        started = players?.contains { $0 != nil } ?? false
    }

    /// Continues the input log of an adopted match (the log its previous shard stored with
    /// the snapshot: every change before the snapshot's tick), so its result can be verified.
    public func continueLog(_ stored: InputLog) {
        guard stored.players == slotCount else { return }
        log = stored
        loggedInputs = stored.lastInputs
    }

    public var tick: UInt32 { simulation.state.tick }
    public var state: MatchState { simulation.state }
    public var slotCount: Int { players.count }
    public var playerCount: Int { players.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    public var isFinished: Bool { simulation.state.race.phase == .finished }

    /// The slot of a player, if it has one.
    public func slot(of playerId: UInt64) -> Int? {
        for i in 0..<players.count where players[i] == playerId { return i }
        return nil
    }

    /// Joins (or re-joins after a relay change) a player through `relay`.
    public func join(playerId: UInt64, via relay: RelayLink) -> JoinReplyPacket.Result {
        if let s = slot(of: playerId) {
            relayOf[s] = relay
            timing[s].reset()
            telemetry[s].rejoins &+= 1
            return .ok
        }
        if isFinished { return .matchOver }
        guard let free = players.firstIndex(where: { $0 == nil }) else { return .matchFull }
        players[free] = playerId
        telemetry[free].playerId = playerId
        relayOf[free] = relay
        started = true
        return .ok
    }

    /// The player's session left `relay` (it may come back through another relay).
    public func leave(playerId: UInt64, via relay: RelayLink) {
        if let s = slot(of: playerId), relayOf[s] == relay { relayOf[s] = nil }
    }

    /// Forgets every session on `relay` (its link went down).
    public func relayLost(_ relay: RelayLink) {
        for i in 0..<relayOf.count where relayOf[i] == relay { relayOf[i] = nil }
    }

    /// Outcome of offering one input.
    public enum InputOutcome {
        /// Queued for its tick.
        case applied
        /// Its tick was already stepped (the player's input lead is too short for its path).
        case late
        /// The tick's input was already queued (a copy; the relay passes each input once, so
        /// only a resume through another relay repeats one).
        case duplicate
        /// Not from the relay the player is on, or too far ahead.
        case dropped
    }

    /// Queues one input for its tick. Only the relay the player is joined through may send it.
    public func offer(_ e: BatchedInput, from relay: RelayLink) -> InputOutcome {
        guard let s = slot(of: e.playerId) else { return .dropped }
        guard relayOf[s] == relay else { telemetry[s].dropped &+= 1; return .dropped }
        let ahead = Int(Int32(bitPattern: e.tick &- inputs.nextTick))
        // Steer -128 drives as -127 (the physics clamps it) and is stored so: the log's text form
        // and snapshots have no -128.
        switch inputs.insert(player: s, tick: e.tick, input: KartInput(buttons: e.input.buttons, steer: max(e.input.steer, -127))) {
        case .accepted:
            seqRing[s * ringCapacity + Int(e.tick % UInt32(ringCapacity))] = e.seq
            timing[s].arrived(ticksAhead: ahead)
            telemetry[s].applied &+= 1
            telemetry[s].arrived(ticksAhead: ahead)
            return .applied
        case .late:
            timing[s].arrived(ticksAhead: ahead)
            telemetry[s].late &+= 1
            telemetry[s].arrived(ticksAhead: ahead)
            return .late
        case .duplicate: telemetry[s].duplicate &+= 1; return .duplicate
        case .tooEarly: telemetry[s].dropped &+= 1; return .dropped
        }
    }

    /// Steps one tick (if started); updates each player's newest applied sequence.
    public func step() {
        guard started else { return }
        let t = inputs.nextTick
        for s in 0..<players.count {
            if inputs.has(player: s, tick: t) {
                lastAppliedSeq[s] = seqRing[s * ringCapacity + Int(t % UInt32(ringCapacity))]
            } else if players[s] != nil, !isFinished {
                telemetry[s].missing &+= 1
            }
        }
        ticksStepped &+= 1
        inputs.take(for: simulation.state, into: &stepInputs)
        log?.record(tick: simulation.state.tick, inputs: stepInputs, previous: &loggedInputs)
        simulation.step(inputs: stepInputs)
        if isFinished { ticksSinceFinish &+= 1 }
    }

    /// Distinct relays that have players in this match (small: at most one per player).
    public func relays(into out: inout [RelayLink]) {
        out.removeAll(keepingCapacity: true)
        for r in relayOf { if let r, !out.contains(r) { out.append(r) } }
    }
}
