// kk-replay: replays a KartKlash input log (format: see InputLog / docs/GAMEPLAY.md)
// and prints the state hash of every tick, for cross-process determinism checks.
//
//   kk-replay <log> [--every N] [--final-only]
//   kk-replay <log> --bench      (timing: ticks/s of the replay, and rollback + re-simulation
//                                 of 14 ticks with a hash per tick, from the log's midpoint)
//
// Output lines: "tick <tick> <hash as 16 hex digits>" after every N-th step (default 1),
// then "final <tick> <hash>". Exit codes: 0 ok, 1 usage, 2 unreadable file, 3 bad log.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KKPhysics

func fail(_ message: String, _ code: Int32) -> Never {
    var bytes = Array("kk-replay: \(message)\n".utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    exit(code)
}

func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, 65_536, f) }
        if n <= 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

func hex16(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

var args = Array(CommandLine.arguments.dropFirst())
var every = 1
var finalOnly = false
var bench = false
var path: String?
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--every":
        guard let v = args.first.flatMap({ Int($0) }), v >= 1 else { fail("--every needs a positive number", 1) }
        args.removeFirst()
        every = v
    case "--final-only": finalOnly = true
    case "--bench": bench = true
    case "-h", "--help":
        print("usage: kk-replay <log> [--every N] [--final-only]")
        exit(0)
    default:
        guard path == nil else { fail("unexpected argument \(a)", 1) }
        path = a
    }
}
guard let path else { fail("usage: kk-replay <log> [--every N] [--final-only]", 1) }
guard let text = readFile(path) else { fail("cannot read \(path)", 2) }

do {
    let log = try InputLog(parsing: text)
    if bench {
        runBench(log)
        exit(0)
    }
    var out = ""
    out.reserveCapacity(32 * Int(log.ticks) / every + 64)
    let final = try log.replay { state in
        if !finalOnly && Int(state.tick) % every == 0 {
            out += "tick \(state.tick) \(hex16(state.hash))\n"
        }
    }
    out += "final \(final.tick) \(hex16(final.hash))\n"
    print(out, terminator: "")
} catch {
    fail("bad log: \(error)", 3)
}

func runBench(_ log: InputLog) {
    let clock = ContinuousClock()
    var checksum: UInt64 = 0
    let t0 = clock.now
    let rounds = 20
    for _ in 0..<rounds { checksum ^= (try? log.replay())?.hash ?? 0 }
    let replay = clock.now - t0
    let ticks = Double(log.ticks) * Double(rounds)
    let secs = Double(replay.components.seconds) + Double(replay.components.attoseconds) / 1e18
    print("replay: \(Int(ticks / secs)) ticks/s (\(log.players) karts, \(log.track))")

    // Rollback: restore the state at the midpoint and re-simulate 14 ticks, hashing each.
    guard let track = try? TrackCatalog.track(named: log.track) else { return }
    var rules = RaceRules(laps: track.laps)
    if let laps = log.laps { rules.laps = laps }
    var sim = MatchSimulation(track: track, playerCount: log.players, seed: log.seed, rules: rules)
    let inputs = [KartInput](repeating: KartInput(buttons: KartInput.accelerate, steer: 30), count: log.players)
    for _ in 0..<(Int(log.ticks) / 2) { sim.step(inputs: inputs) }
    let snapshot = sim.state
    let reps = 20_000
    let t1 = clock.now
    for _ in 0..<reps {
        sim.restore(snapshot)
        for _ in 0..<14 { sim.step(inputs: inputs); checksum ^= sim.state.hash }
    }
    let roll = clock.now - t1
    let rsecs = Double(roll.components.seconds) + Double(roll.components.attoseconds) / 1e18
    print("rollback+resim 14 ticks (\(log.players) karts, hash per tick): \(rsecs / Double(reps) * 1e6) µs  [\(checksum & 1)]")
}
