import KKPhysics
import KKWire

/// Where the shard core sends bytes (an ENet peer in production, an array in tests).
public protocol ShardOutput<Relay> {
    associatedtype Relay: Hashable
    /// Sends one packet to a relay; reliable for control, unreliable for frames.
    mutating func send(_ bytes: UnsafeRawBufferPointer, to relay: Relay, reliable: Bool)
}

/// The shard's protocol logic without I/O: decodes relay packets, joins players, queues inputs
/// at their tick, steps every match and emits one full frame per match per send tick to every
/// relay with players in it. Loop-thread only.
public final class ShardCore<Relay: Hashable> {
    public let config: ShardConfig
    public private(set) var matches: [UInt64: MatchHost<Relay>] = [:]
    public var counters = ShardCounters()
    /// Matches that ended and were removed since the last call of ``takeEndedMatches()``.
    private var ended: [UInt64] = []
    private var out = [UInt8](repeating: 0, count: maxShardPacketBytes)
    private var stateBytes: [UInt8] = []
    private var relayScratch: [Relay] = []
    private var tickCounter: UInt64 = 0
    /// Called when a join names a match this shard does not host; the server may look the
    /// match up (Redis) and call ``createMatch(id:seed:)`` then retry. Return true if it will.
    public var onUnknownMatch: ((JoinRequestPacket, Relay) -> Bool)?

    public init(config: ShardConfig) {
        self.config = config
        stateBytes.reserveCapacity(4096)
    }

    /// Hosts a new match (allocation).
    @discardableResult
    public func createMatch(id: UInt64, seed: UInt64) throws(ShardError) -> MatchHost<Relay> {
        if let m = matches[id] { return m }
        guard matches.count < config.maxMatches else { throw .atCapacity }
        let track: Track
        do { track = try TrackCatalog.track(named: config.track) } catch { throw .badTrack(config.track) }
        let m = MatchHost<Relay>(matchId: id, track: track, slots: config.playersPerMatch, seed: seed, laps: config.laps)
        matches[id] = m
        return m
    }

    /// Adopts a match from a stored state (its previous shard died).
    public func adoptMatch(id: UInt64, state: MatchState, players: [UInt64?], lastAppliedSeq: [UInt32]) throws(ShardError) {
        guard matches[id] == nil else { return }
        guard matches.count < config.maxMatches else { throw .atCapacity }
        let track: Track
        do { track = try TrackCatalog.track(named: config.track) } catch { throw .badTrack(config.track) }
        let sim = MatchSimulation(track: track, state: state, rules: config.laps.map { RaceRules(laps: $0) })
        matches[id] = MatchHost(matchId: id, simulation: sim, players: players, lastAppliedSeq: lastAppliedSeq)
        counters.matchesAdopted += 1
    }

    /// Removes a match (e.g. ownership lost).
    public func dropMatch(id: UInt64) { matches[id] = nil }

    /// Handles one packet from a relay.
    public func receive<O: ShardOutput>(_ packet: UnsafeRawBufferPointer, from relay: Relay, output: inout O) where O.Relay == Relay {
        let message: ShardMessage
        do throws(WireError) {
            message = try ShardMessage.decode(packet, protocolId: config.protocolId)
        } catch {
            counters.malformedPackets[error.metricLabel, default: 0] += 1
            return
        }
        switch message {
        case .relayHello:
            break
        case .joinRequest(let j):
            handleJoin(j, from: relay, output: &output)
        case .leave(let l):
            matches[l.matchId]?.leave(playerId: l.playerId, via: relay)
        case .inputBatch(let batch):
            do throws(WireError) {
                try batch.forEach { e in
                    guard matches[e.matchId] != nil else { counters.inputsDropped += 1; return }
                    switch matches[e.matchId]!.offer(e, from: relay) {
                    case .applied: counters.inputsApplied += 1
                    case .late: counters.inputsLate += 1
                    case .dropped: counters.inputsDropped += 1
                    }
                }
            } catch {
                counters.malformedPackets[error.metricLabel, default: 0] += 1
            }
        case .joinReply, .matchFrame:
            counters.malformedPackets["wrong_direction", default: 0] += 1
        }
    }

    /// Answers a join; unknown matches may be looked up by the server first.
    public func handleJoin<O: ShardOutput>(_ j: JoinRequestPacket, from relay: Relay, output: inout O) where O.Relay == Relay {
        guard matches[j.matchId] != nil else {
            if onUnknownMatch?(j, relay) == true { return }
            reply(JoinReplyPacket(matchId: j.matchId, playerId: j.playerId, result: .noSuchMatch, slot: 0,
                                  tickRate: UInt8(MatchSimulation.ticksPerSecond), tick: 0, lastAppliedSeq: 0),
                  to: relay, output: &output)
            counters.joinsRefused += 1
            return
        }
        let result = matches[j.matchId]!.join(playerId: j.playerId, via: relay)
        let m = matches[j.matchId]!
        let slot = m.slot(of: j.playerId)
        if result == .ok { counters.joinsAccepted += 1 } else { counters.joinsRefused += 1 }
        reply(JoinReplyPacket(matchId: j.matchId, playerId: j.playerId, result: result, slot: UInt8(slot ?? 0),
                              tickRate: UInt8(MatchSimulation.ticksPerSecond), tick: m.tick,
                              lastAppliedSeq: slot.map { m.lastAppliedSeq[$0] } ?? 0),
              to: relay, output: &output)
        // A (re)joined player gets a full frame at once (resume: no waiting for the next send tick).
        if result == .ok { sendFrame(matchId: j.matchId, only: relay, output: &output) }
    }

    private func reply<O: ShardOutput>(_ p: JoinReplyPacket, to relay: Relay, output: inout O) where O.Relay == Relay {
        let n = WireWriter.write(into: &out) { (w) throws(WireError) in try p.encode(protocolId: config.protocolId, into: &w) }
        guard n > 0 else { return }
        out.withUnsafeBytes { output.send(UnsafeRawBufferPointer(rebasing: $0[0..<n]), to: relay, reliable: true) }
    }

    /// A relay's link went down: its players are disconnected (their slots stay reserved).
    public func relayLost(_ relay: Relay) {
        for id in matches.keys { matches[id]!.relayLost(relay) }
    }

    /// Steps every match one tick; every `sendEveryTicks` ticks sends frames. Removes matches
    /// that finished more than `config.lingerTicks` ago.
    public func tick<O: ShardOutput>(output: inout O) where O.Relay == Relay {
        tickCounter &+= 1
        counters.ticks += 1
        let send = tickCounter % UInt64(config.sendEveryTicks) == 0
        for id in matches.keys {
            matches[id]!.step()
            if send, matches[id]!.started { sendFrame(matchId: id, only: nil, output: &output) }
            if matches[id]!.ticksSinceFinish > config.lingerTicks {
                matches[id] = nil
                ended.append(id)
            }
        }
    }

    /// Matches removed since the last call.
    public func takeEndedMatches() -> [UInt64] {
        defer { ended.removeAll() }
        return ended
    }

    /// Encodes the match's full state once and sends it to its relays (or only to `only`).
    public func sendFrame<O: ShardOutput>(matchId: UInt64, only: Relay?, output: inout O) where O.Relay == Relay {
        guard let m = matches[matchId] else { return }
        if let only { relayScratch = [only] } else { m.relays(into: &relayScratch) }
        guard !relayScratch.isEmpty else { return }
        stateBytes.removeAll(keepingCapacity: true)
        m.state.serialize(into: &stateBytes)
        var frame = MatchFramePacket(matchId: matchId, tick: m.tick, stateHash: m.state.hash)
        for s in 0..<m.slotCount {
            if let p = m.players[s] { try? frame.addPlayer(PlayerAck(playerId: p, lastAppliedSeq: m.lastAppliedSeq[s])) }
        }
        let n = stateBytes.withUnsafeBytes { payload in
            WireWriter.write(into: &out) { (w) throws(WireError) in
                try frame.encode(protocolId: config.protocolId, into: &w) { (pw) throws(WireError) in try pw.writeBytes(payload) }
            }
        }
        guard n > 0 else { return }
        out.withUnsafeBytes { raw in
            for r in relayScratch {
                output.send(UnsafeRawBufferPointer(rebasing: raw[0..<n]), to: r, reliable: false)
                counters.framesSent += 1
                counters.frameBytesSent += n
            }
        }
    }
}
