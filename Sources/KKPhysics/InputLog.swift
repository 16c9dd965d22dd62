import KKBytes

/// A recorded match: header plus every input change. Text format (`#` comments allowed):
///
///     kklog 1
///     track <name>          built-in track (TrackCatalog)
///     players <n>
///     seed <u64>
///     laps <n>              optional, default: the track's laps
///     ticks <n>             number of ticks to replay
///     <tick> <slot> <buttons hex> <steer>   one line per input change, ticks non-decreasing
///
/// Every slot starts neutral; an input holds until the slot's next change line.
public struct InputLog: Equatable, Sendable {
    public struct Change: Equatable, Sendable {
        public var tick: UInt32
        public var slot: UInt8
        public var input: KartInput
        public init(tick: UInt32, slot: UInt8, input: KartInput) { self.tick = tick; self.slot = slot; self.input = input }
    }

    public var track: String
    public var players: Int
    public var seed: UInt64
    public var laps: UInt8?
    public var ticks: UInt32
    public var changes: [Change]

    public init(track: String, players: Int, seed: UInt64, laps: UInt8? = nil, ticks: UInt32 = 0, changes: [Change] = []) {
        self.track = track; self.players = players; self.seed = seed
        self.laps = laps; self.ticks = ticks; self.changes = changes
    }

    /// Appends the inputs of one tick, recording only changes against `previous`.
    public mutating func record(tick: UInt32, inputs: [KartInput], previous: inout [KartInput]) {
        if previous.count != players { previous = [KartInput](repeating: .neutral, count: players) }
        for s in 0..<min(players, inputs.count) where inputs[s] != previous[s] {
            changes.append(Change(tick: tick, slot: UInt8(s), input: inputs[s]))
            previous[s] = inputs[s]
        }
        ticks = max(ticks, tick &+ 1)
    }

    /// The text form.
    public func text() -> String {
        headerText() + "ticks \(ticks)\n" + changesText(from: 0)
    }

    /// The header without its `ticks` line (a log stored piece by piece: the header, then
    /// ``changesText(from:)`` pieces, then `ticks <n>` when it is read back).
    public func headerText() -> String {
        var out = "kklog 1\ntrack \(track)\nplayers \(players)\nseed \(seed)\n"
        if let laps { out += "laps \(laps)\n" }
        return out
    }

    /// The change lines from change `index` on.
    public func changesText(from index: Int) -> String {
        var out = ""
        let hex = Array("0123456789abcdef")
        for c in changes[min(index, changes.count)...] {
            out += "\(c.tick) \(c.slot) \(hex[Int(c.input.buttons >> 4)])\(hex[Int(c.input.buttons & 15)]) \(c.input.steer)\n"
        }
        return out
    }

    /// Each slot's input after the last change (what the next tick holds unless it changes).
    public var lastInputs: [KartInput] {
        var out = [KartInput](repeating: .neutral, count: players)
        for c in changes where Int(c.slot) < players { out[Int(c.slot)] = c.input }
        return out
    }

    /// Parses the text form.
    public init(parsing text: String) throws(PhysicsError) {
        var track: String?, players: Int?, seed: UInt64?, laps: UInt8?, ticks: UInt32?
        var changes: [Change] = []
        var sawMagic = false
        var lineNo = 0
        var lastTick: UInt32 = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let w = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let head = w.first else { continue }
            func bad(_ r: String) -> PhysicsError { .badLog(line: lineNo, reason: r) }
            if !sawMagic {
                guard w.count == 2, head == "kklog", w[1] == "1" else { throw bad("expected 'kklog 1'") }
                sawMagic = true
                continue
            }
            switch head {
            case "track": guard w.count == 2 else { throw bad("track") }; track = String(w[1])
            case "players":
                guard w.count == 2, let n = Int(w[1]), n >= 1, n <= Limits.maxPlayersPerMatch else { throw bad("players") }
                players = n
            case "seed": guard w.count == 2, let s = UInt64(w[1]) else { throw bad("seed") }; seed = s
            case "laps": guard w.count == 2, let l = UInt8(w[1]), l >= 1 else { throw bad("laps") }; laps = l
            case "ticks": guard w.count == 2, let t = UInt32(w[1]) else { throw bad("ticks") }; ticks = t
            default:
                guard w.count == 4, let t = UInt32(w[0]), let s = UInt8(w[1]), let b = UInt8(w[2], radix: 16),
                      let st = Int8(w[3]), st != Int8.min else { throw bad("change line: <tick> <slot> <hex> <steer>") }
                guard let p = players, Int(s) < p else { throw bad("slot out of range or players missing") }
                guard t >= lastTick else { throw bad("ticks must not decrease") }
                lastTick = t
                changes.append(Change(tick: t, slot: s, input: KartInput(buttons: b, steer: st)))
            }
        }
        guard let track, let players, let seed, let ticks else { throw .badLog(line: lineNo, reason: "missing header field") }
        self.init(track: track, players: players, seed: seed, laps: laps, ticks: ticks, changes: changes)
    }

    /// Replays the log from a fresh match, calling `onTick(stateAfterStep)` after every step.
    /// Returns the final state.
    public func replay(onTick: (borrowing MatchState) -> Void = { _ in }) throws(PhysicsError) -> MatchState {
        let track = try TrackCatalog.track(named: self.track)
        var rules = RaceRules(laps: track.laps)
        if let laps { rules.laps = laps }
        var sim = MatchSimulation(track: track, playerCount: players, seed: seed, rules: rules)
        var inputs = [KartInput](repeating: .neutral, count: players)
        var next = 0
        var t: UInt32 = 0
        while t < ticks {
            while next < changes.count && changes[next].tick <= t {
                inputs[Int(changes[next].slot)] = changes[next].input
                next += 1
            }
            sim.step(inputs: inputs)
            onTick(sim.state)
            t += 1
        }
        return sim.state
    }
}
