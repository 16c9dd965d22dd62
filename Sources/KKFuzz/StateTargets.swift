import KKDelta
import KKPhysics
import KKShardCore
import KKWire

/// Targets for match state on the wire and at rest: delta frames (clients), snapshots (Redis,
/// read by an adopting shard) and input logs (Redis, results, replay files).
enum StateTargets {
    static let all: [FuzzTarget] = [deltaFrame, snapshot, inputLog]

    /// The payload of a frame without its CRC (added here): the header, the full-state
    /// deserializer and the bit-packed delta body against a fixed baseline (its tick set to the
    /// one the payload names). A decoded state re-encodes and decodes to itself.
    static let deltaFrame = FuzzTarget(
        name: "delta-frame", summary: "frame payloads (CRC added) into DeltaCodec.decode against a fixed baseline; round trip",
        seeds: { [StateSeeds.frames.full, StateSeeds.frames.delta].map(Framing.withoutCRC) }) { (raw) throws(FuzzViolation) in
            var bytes = Array(raw.prefix(Limits.maxShardFramePayloadBytes))
            Framing.appendCRC(&bytes)
            var baseline = StateSeeds.baseline
            if let h = try? DeltaCodec.header(bytes), let t = h.baselineTick { baseline.tick = t }
            guard let state = try? DeltaCodec.decode(bytes, baseline: baseline) else { return .rejected }
            let base: MatchState? = bytes[1] & 1 == 1 ? baseline : nil
            var again: [UInt8] = []
            DeltaCodec.encode(state, baseline: base, into: &again)
            guard let back = try? DeltaCodec.decode(again, baseline: base), back == state else {
                throw FuzzViolation("delta-frame", "a decoded state at tick \(state.tick) does not survive the encoder")
            }
            return .accepted
        }

    /// A stored snapshot without its CRC (added here): header, player table, state.
    static let snapshot = FuzzTarget(
        name: "snapshot", summary: "match snapshots (CRC added) into MatchSnapshot(decoding:); round trip",
        seeds: { StateSeeds.snapshots.map { Framing.withoutCRC($0.encoded()) } }) { (raw) throws(FuzzViolation) in
            var bytes = Array(raw.prefix(1 << 16))
            Framing.appendCRC(&bytes)
            guard let s = try? MatchSnapshot(decoding: bytes) else { return .rejected }
            guard (try? MatchSnapshot(decoding: s.encoded())) == s else {
                throw FuzzViolation("snapshot", "a decoded snapshot (epoch \(s.epoch), tick \(s.state.tick)) does not survive its encoder")
            }
            return .accepted
        }

    /// The input log's text form; a parsed log prints and parses to itself, and a short one
    /// replays through the physics (arbitrary inputs must not trap the simulation).
    static let inputLog = FuzzTarget(
        name: "input-log", summary: "input log text into InputLog(parsing:); text round trip; replay of short logs",
        seeds: { StateSeeds.logs.map { Array($0.text().utf8) } }) { (raw) throws(FuzzViolation) in
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: raw.prefix(1 << 16)), as: UTF8.self)
            guard let log = try? InputLog(parsing: text) else { return .rejected }
            guard (try? InputLog(parsing: log.text())) == log else {
                throw FuzzViolation("input-log", "a parsed log does not survive its printer")
            }
            if log.ticks <= 600 { _ = try? log.replay() }
            return .accepted
        }
}

/// States from a short deterministic race: the fixed baseline and the seeds of the state targets.
enum StateSeeds {
    /// Four karts on the oval with a fixed input pattern: ticks 0...130.
    static let race: [MatchState] = {
        var sim = MatchSimulation(track: try! TrackCatalog.track(named: "oval"), playerCount: 4, seed: 11)
        var states = [sim.state]
        for t in 0..<130 {
            sim.step(inputs: (0..<4).map { KartInput(buttons: UInt8(1 + ($0 + t / 20) % 3), steer: Int8(($0 * 13 + t) % 60 - 30)) })
            states.append(sim.state)
        }
        return states
    }()

    /// The baseline the delta target decodes against (tick 120).
    static var baseline: MatchState { race[120] }

    /// A full frame and a delta frame of tick 130 (the delta against tick 120).
    static let frames: (full: [UInt8], delta: [UInt8]) = {
        var full: [UInt8] = [], delta: [UInt8] = []
        DeltaCodec.encode(race[130], baseline: nil, into: &full)
        DeltaCodec.encode(race[130], baseline: race[120], into: &delta)
        return (full, delta)
    }()

    static var snapshots: [MatchSnapshot] {
        [MatchSnapshot(epoch: 3, players: [11, nil, 13, 14], lastAppliedSeq: [100, 0, 90, 95], state: race[130]),
         MatchSnapshot(epoch: 1, players: [21, 22, 23, 24], lastAppliedSeq: [1, 2, 3, 4], state: race[0])]
    }

    static var logs: [InputLog] {
        var log = InputLog(track: "oval", players: 4, seed: 11, laps: 3)
        var previous = [KartInput](repeating: .neutral, count: 4)
        for t in 0..<40 {
            log.record(tick: UInt32(t), inputs: (0..<4).map { KartInput(buttons: UInt8(1 + ($0 + t / 10) % 3), steer: Int8($0 * 5 - 10)) },
                       previous: &previous)
        }
        log.ticks = 40
        return [log, InputLog(track: "canyon", players: 2, seed: 5, ticks: 10)]
    }
}
