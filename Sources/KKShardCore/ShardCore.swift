import KKResultsCore
import KKPhysics
import KKWire

/// The shard's protocol logic without I/O: decodes relay packets, joins players, queues inputs
/// at their tick, steps every match and emits one full frame per match per send tick to every
/// relay with players in it. Loop-thread only.
///
/// It never calls out: the I/O layer feeds it (``receive(_:from:)``, ``tick()``,
/// ``relayLost(_:)``) and then sends what it queued: `for out in core.drainOutbound() { ... }`.
public final class ShardCore {
    public let config: ShardConfig
    public private(set) var matches: [UInt64: MatchHost] = [:]
    public var counters = ShardCounters()
    let outbound = OutboundQueue<ShardTarget>(arenaBytes: 4 * Limits.maxShardPacketBytes)
    /// A match that ended and was removed: its race's result and its network figures (epoch
    /// and shard id for the I/O layer to fill in).
    public struct Ended: Sendable {
        public var result: RaceResult
        public var telemetry: MatchTelemetry
    }
    /// The matches that ended since the last call of ``takeEnded()``.
    private var ended: [Ended] = []
    /// Accepted joins since the last ``takeJoinedPlayers()`` (bounded: the I/O layer drains it
    /// every 100 ms; beyond the bound the oldest are dropped, presence is best effort).
    private var joined: [JoinRequestPacket] = []
    private var stateBytes: [UInt8] = []
    private var relayScratch: [RelayLink] = []
    private var tickCounter: UInt64 = 0

    /// The tracks by content hash, for allocations that pin a version (``TrackRef``).
    public let library: TrackLibrary

    public init(config: ShardConfig, library: TrackLibrary = TrackLibrary()) {
        self.config = config
        self.library = library
        stateBytes.reserveCapacity(4096)
    }

    /// Everything queued since the last drain, in order. Drain to the end.
    public func drainOutbound() -> OutboundDrain<ShardTarget> { outbound.drain() }

    /// Hosts a new match (allocation).
    @discardableResult
    public func createMatch(id: UInt64, seed: UInt64, track name: String? = nil) throws(ShardError) -> MatchHost {
        if let m = matches[id] { return m }
        guard matches.count < config.maxMatches else { throw .atCapacity }
        let track = try self.track(name)
        let m = MatchHost(matchId: id, track: track, slots: config.playersPerMatch, seed: seed, laps: config.laps)
        matches[id] = m
        return m
    }

    /// Adopts a match from a stored state (its previous shard died).
    public func adoptMatch(id: UInt64, state: MatchState, players: [UInt64?], lastAppliedSeq: [UInt32],
                           track name: String? = nil, log: InputLog? = nil) throws(ShardError) {
        guard matches[id] == nil else { return }
        guard matches.count < config.maxMatches else { throw .atCapacity }
        let track = try self.track(name)
        let sim = MatchSimulation(track: track, state: state, rules: config.laps.map { RaceRules(laps: $0) })
        let host = MatchHost(matchId: id, simulation: sim, players: players, lastAppliedSeq: lastAppliedSeq)
        if let log, log.ticks == state.tick, log.track == track.name { host.continueLog(log) }
        matches[id] = host
        counters.matchesAdopted += 1
    }

    /// The match's track. An allocation that pins a version (`name@sha256`) gets exactly that
    /// track or a refusal (``ShardError/trackMissing(_:)``, counted): racing other geometry than
    /// the clients downloaded would desynchronise every prediction. A name alone (kk-match's
    /// default, older allocators) resolves to the library's latest of that name, a built-in one,
    /// or the shard's configured track.
    func track(_ text: String?) throws(ShardError) -> Track {
        if let text, let ref = TrackRef(parsing: text) {
            if ref.sha256 != nil {
                guard let t = library.resolve(ref) else { counters.matchesRefused += 1; throw .trackMissing(ref.description) }
                return t
            }
            if let t = library.resolve(ref) ?? (try? TrackCatalog.track(named: ref.name)) { return t }
        } else if text != nil, text?.contains("@") == true {
            counters.matchesRefused += 1
            throw .trackMissing(text ?? "")
        }
        do { return try TrackCatalog.track(named: config.track) } catch { throw .badTrack(config.track) }
    }

    /// Removes a match (e.g. ownership lost).
    public func dropMatch(id: UInt64) { matches[id] = nil }

    /// Handles one packet from a relay.
    public func receive(_ packet: UnsafeRawBufferPointer, from relay: RelayLink) {
        let message: ShardMessage
        do throws(WireError) {
            message = try ShardMessage.decode(packet, protocolId: config.protocolId)
        } catch {
            counters.drop(ShardDropReason(error))
            return
        }
        switch message {
        case .relayHello:
            break
        case .joinRequest(let j):
            handleJoin(j, from: relay)
        case .leave(let l):
            matches[l.matchId]?.leave(playerId: l.playerId, via: relay)
        case .inputBatch(let batch):
            do throws(WireError) {
                try batch.forEach { e in
                    guard let m = matches[e.matchId] else { counters.inputsDropped += 1; return }
                    switch m.offer(e, from: relay) {
                    case .applied: counters.inputsApplied += 1
                    case .late: counters.inputsLate += 1
                    case .duplicate: counters.inputsDuplicate += 1
                    case .dropped: counters.inputsDropped += 1
                    }
                }
            } catch {
                counters.drop(ShardDropReason(error))
            }
        case .joinReply, .matchFrame:
            counters.drop(.wrongDirection)
        }
    }

    /// Answers a join. A join for a match this shard does not host is handed to the I/O layer
    /// (``ShardTarget/unknownMatch(_:from:)``), which may find it allocated here and ask again.
    public func handleJoin(_ j: JoinRequestPacket, from relay: RelayLink) {
        guard let m = matches[j.matchId] else {
            outbound.append(.unknownMatch(j, from: relay))
            return
        }
        let result = m.join(playerId: j.playerId, via: relay)
        let slot = m.slot(of: j.playerId)
        if result == .ok {
            counters.joinsAccepted += 1
            if joined.count < 4096 { joined.append(j) }
        } else {
            counters.joinsRefused += 1
        }
        reply(JoinReplyPacket(matchId: j.matchId, playerId: j.playerId, result: result, slot: UInt8(slot ?? 0),
                              tickRate: UInt8(MatchSimulation.ticksPerSecond), tick: m.tick,
                              lastAppliedSeq: slot.map { m.lastAppliedSeq[$0] } ?? 0),
              to: relay)
        // A (re)joined player gets a full frame at once (resume: no waiting for the next send tick).
        if result == .ok { sendFrame(matchId: j.matchId, only: relay) }
    }

    /// Refuses a join for a match this shard does not host: "no such match", or `result` (a
    /// match the directory says is over: the player learns the race ended).
    public func refuseJoin(_ j: JoinRequestPacket, from relay: RelayLink, result: JoinReplyPacket.Result = .noSuchMatch) {
        counters.joinsRefused += 1
        reply(JoinReplyPacket(matchId: j.matchId, playerId: j.playerId, result: result, slot: 0,
                              tickRate: UInt8(MatchSimulation.ticksPerSecond), tick: 0, lastAppliedSeq: 0),
              to: relay)
    }

    private func reply(_ p: JoinReplyPacket, to relay: RelayLink) {
        outbound.append(.relay(relay, reliable: true)) { (w) throws(WireError) in try p.encode(protocolId: config.protocolId, into: &w) }
    }

    /// A relay's link went down: its players are disconnected (their slots stay reserved).
    public func relayLost(_ relay: RelayLink) {
        for m in matches.values { m.relayLost(relay) }
    }

    /// Steps every match one tick; every `sendEveryTicks` ticks queues frames. Removes matches
    /// that finished more than `config.lingerTicks` ago.
    public func tick() {
        tickCounter &+= 1
        counters.ticks += 1
        let send = tickCounter % UInt64(config.sendEveryTicks) == 0
        for (id, m) in matches {
            m.step()
            if send, m.started { sendFrame(matchId: id, only: nil) }
            if m.ticksSinceFinish > config.lingerTicks {
                matches[id] = nil
                ended.append(Ended(
                    result: RaceResult(matchId: id, epoch: 0, shardId: "", track: m.simulation.track.name, laps: m.state.race.totalLaps,
                                       ticks: m.tick, entries: RaceResult.entries(of: m.state, players: m.players), log: m.log?.text()),
                    telemetry: MatchTelemetry(matchId: id, epoch: 0, shardId: "", track: m.simulation.track.name, ticks: m.ticksStepped,
                                              players: m.telemetry)))
            }
        }
    }

    /// The joins (and resumes) accepted since the last call, as the relays asked them (the
    /// player, the match, the mode, the client's trace): for presence and the join log.
    public func takeJoinedPlayers() -> [JoinRequestPacket] {
        defer { joined.removeAll(keepingCapacity: true) }
        return joined
    }

    /// The matches that ended (and were removed) since the last call.
    public func takeEnded() -> [Ended] {
        defer { ended.removeAll() }
        return ended
    }

    /// Encodes the match's full state once and queues it for its relays (or only for `only`).
    public func sendFrame(matchId: UInt64, only: RelayLink?) {
        guard let m = matches[matchId] else { return }
        if let only { relayScratch.removeAll(keepingCapacity: true); relayScratch.append(only) } else { m.relays(into: &relayScratch) }
        guard let first = relayScratch.first else { return }
        stateBytes.removeAll(keepingCapacity: true)
        m.state.serialize(into: &stateBytes)
        var frame = MatchFramePacket(matchId: matchId, tick: m.tick, stateHash: m.state.hash)
        for s in 0..<m.slotCount {
            if let p = m.players[s] {
                try? frame.addPlayer(PlayerAck(playerId: p, lastAppliedSeq: m.lastAppliedSeq[s], inputMargin: m.timing[s].lowestMargin))
            }
        }
        let n = stateBytes.withUnsafeBytes { payload in
            outbound.append(.relay(first, reliable: false), maxBytes: Limits.maxShardPacketBytes) { (w) throws(WireError) in
                try frame.encode(protocolId: config.protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
            }
        }
        guard n > 0 else { return }
        for r in relayScratch.dropFirst() { outbound.appendCopyOfLast(to: .relay(r, reliable: false)) }
        counters.framesSent += relayScratch.count
        counters.frameBytesSent += n * relayScratch.count
    }
}
