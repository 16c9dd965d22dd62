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
/// Every slot starts neutral; an input holds until the slot's next change line. Each header
/// field appears once; all but `ticks` come before the first change line.
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

    /// Bytes the change list holds allocated (its capacity).
    public var memoryBytes: Int { changes.capacity * MemoryLayout<Change>.stride }

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

    /// The change lines from change `index` on (written as bytes: the shard writes them on its
    /// loop thread when a match ends and with every snapshot).
    public func changesText(from index: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((changes.count - min(index, changes.count)) * 14)
        for c in changes[min(index, changes.count)...] {
            Self.appendDecimal(UInt64(c.tick), to: &out)
            out.append(32)
            Self.appendDecimal(UInt64(c.slot), to: &out)
            out.append(32)
            out.append(Self.hexDigits[Int(c.input.buttons >> 4)])
            out.append(Self.hexDigits[Int(c.input.buttons & 15)])
            out.append(32)
            if c.input.steer < 0 { out.append(45) }
            Self.appendDecimal(UInt64(c.input.steer.magnitude), to: &out)
            out.append(10)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func appendDecimal(_ v: UInt64, to out: inout [UInt8]) {
        if v < 10 { out.append(48 + UInt8(v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            while x > 0 { d[n] = 48 + UInt8(x % 10); x /= 10; n += 1 }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// Each slot's input after the last change (what the next tick holds unless it changes).
    public var lastInputs: [KartInput] {
        var out = [KartInput](repeating: .neutral, count: players)
        for c in changes where Int(c.slot) < players { out[Int(c.slot)] = c.input }
        return out
    }

    /// Parses the text form. Works on the UTF-8 bytes (no string per line or word: a minute of
    /// eight karts is some 13,000 change lines, and results are verified by the thousand).
    public init(parsing text: String) throws(PhysicsError) {
        var track: String?, players: Int?, seed: UInt64?, laps: UInt8?, ticks: UInt32?
        var changes: [Change] = []
        var sawMagic = false
        var lineNo = 0
        var lastTick: UInt32 = 0
        let bytes = Array(text.utf8)
        changes.reserveCapacity(bytes.count / 12)
        var words: [Range<Int>] = []
        words.reserveCapacity(8)
        var lineStart = 0
        var more = true
        while more {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 10 { lineEnd += 1 }  // \n
            lineNo += 1
            more = lineEnd < bytes.count
            let from = lineStart
            lineStart = lineEnd + 1
            // Words before a '#', split on spaces, tabs and \r.
            words.removeAll(keepingCapacity: true)
            var start = -1
            var q = from
            while q < lineEnd {
                let c = bytes[q]
                if c == 35 { break }  // '#'
                if c == 32 || c == 9 || c == 13 {
                    if start >= 0 { words.append(start..<q); start = -1 }
                } else if start < 0 { start = q }
                q += 1
            }
            if start >= 0 { words.append(start..<q) }
            guard let head = words.first else { continue }
            func bad(_ r: String) -> PhysicsError { .badLog(line: lineNo, reason: r) }
            if !sawMagic {
                guard words.count == 2, Self.equal(bytes, head, "kklog"), Self.equal(bytes, words[1], "1") else { throw bad("expected 'kklog 1'") }
                sawMagic = true
                continue
            }
            // Each header field once; all but `ticks` (written when the log is read back) before
            // the first change line: a later `players` would leave changes naming missing slots.
            if Self.equal(bytes, head, "track") {
                guard words.count == 2, track == nil, changes.isEmpty else { throw bad("track") }
                track = String(decoding: bytes[words[1]], as: UTF8.self)
            } else if Self.equal(bytes, head, "players") {
                guard words.count == 2, players == nil, changes.isEmpty, let n = Self.unsigned(bytes, words[1]), n >= 1, n <= UInt64(Limits.maxPlayersPerMatch) else { throw bad("players") }
                players = Int(n)
            } else if Self.equal(bytes, head, "seed") {
                guard words.count == 2, seed == nil, changes.isEmpty, let v = Self.unsigned(bytes, words[1]) else { throw bad("seed") }
                seed = v
            } else if Self.equal(bytes, head, "laps") {
                guard words.count == 2, laps == nil, changes.isEmpty, let l = Self.unsigned(bytes, words[1]), l >= 1, l <= UInt64(UInt8.max) else { throw bad("laps") }
                laps = UInt8(l)
            } else if Self.equal(bytes, head, "ticks") {
                guard words.count == 2, ticks == nil, let t = Self.unsigned(bytes, words[1]), t <= UInt64(UInt32.max) else { throw bad("ticks") }
                ticks = UInt32(t)
            } else {
                guard words.count == 4, let t = Self.unsigned(bytes, words[0]), t <= UInt64(UInt32.max),
                      let sl = Self.unsigned(bytes, words[1]), sl <= UInt64(UInt8.max),
                      let b = Self.unsigned(bytes, words[2], radix: 16), b <= UInt64(UInt8.max),
                      let st = Self.signed(bytes, words[3]), st > Int64(Int8.min), st <= Int64(Int8.max) else {
                    throw bad("change line: <tick> <slot> <hex> <steer>")
                }
                guard let p = players, Int(sl) < p else { throw bad("slot out of range or players missing") }
                guard UInt32(t) >= lastTick else { throw bad("ticks must not decrease") }
                lastTick = UInt32(t)
                changes.append(Change(tick: UInt32(t), slot: UInt8(sl), input: KartInput(buttons: UInt8(b), steer: Int8(st))))
            }
        }
        guard let track, let players, let seed, let ticks else { throw .badLog(line: lineNo, reason: "missing header field") }
        self.init(track: track, players: players, seed: seed, laps: laps, ticks: ticks, changes: changes)
    }

    static func equal(_ bytes: [UInt8], _ r: Range<Int>, _ word: StaticString) -> Bool {
        guard r.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for (n, i) in r.enumerated() where bytes[i] != w[n] { return false }
        return true
    }

    /// A non-negative number (digits only, optional leading '+'), nil on anything else or overflow.
    static func unsigned(_ bytes: [UInt8], _ r: Range<Int>, radix: UInt64 = 10) -> UInt64? {
        var i = r.lowerBound
        if i < r.upperBound && bytes[i] == 43 { i += 1 }  // '+'
        guard i < r.upperBound else { return nil }
        var v: UInt64 = 0
        while i < r.upperBound {
            let c = bytes[i]
            let d: UInt64
            switch c {
            case 48...57: d = UInt64(c - 48)
            case 97...102 where radix == 16: d = UInt64(c - 87)
            case 65...70 where radix == 16: d = UInt64(c - 55)
            default: return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: radix)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }

    static func signed(_ bytes: [UInt8], _ r: Range<Int>) -> Int64? {
        guard !r.isEmpty else { return nil }
        if bytes[r.lowerBound] == 45 {  // '-'
            let digits = (r.lowerBound + 1)..<r.upperBound
            guard !digits.isEmpty, bytes[digits.lowerBound] != 43, let v = unsigned(bytes, digits), v <= UInt64(Int64.max) else { return nil }
            return -Int64(v)
        }
        guard let v = unsigned(bytes, r), v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    /// Replays the log from a fresh match, calling `onTick(stateAfterStep)` after every step.
    /// Returns the final state.
    public func replay(onTick: (borrowing MatchState) -> Void = { _ in }) throws(PhysicsError) -> MatchState {
        var r = try Replay(self)
        while r.step() { onTick(r.simulation.state) }
        return r.simulation.state
    }
}
