import Benchmark
import KKShardCore
import KKWire

/// Plays the shard's I/O layer: drains the core's outbound queue and counts the bytes it would send.
struct CountingShardOutput {
    var bytes = 0
    mutating func drain(_ core: ShardCore) {
        for out in core.drainOutbound() { bytes &+= out.bytes.count }
    }
}

/// A shard with `matches` running 8-kart matches, every player joined through one relay and
/// sending an input every tick (so each tick applies 8 inputs per match, and every third tick
/// encodes and sends one full frame per match).
final class ShardTickFixture {
    let core: ShardCore
    var out = CountingShardOutput()
    let matches: Int
    var tick: UInt32 = 1
    var batch = [UInt8](repeating: 0, count: Limits.maxShardPacketBytes)

    init(matches: Int) {
        self.matches = matches
        var c = ShardConfig()
        c.maxMatches = matches
        c.playersPerMatch = 8
        core = ShardCore(config: c)
        for m in 0..<matches {
            try! core.createMatch(id: UInt64(m + 1), seed: UInt64(m))
            for p in 0..<8 {
                let j = try! JoinRequestPacket(matchId: UInt64(m + 1), playerId: UInt64(m * 8 + p + 1), mode: .join)
                    .encoded(capacity: Limits.maxShardPacketBytes)
                j.withUnsafeBytes { core.receive($0, from: RelayLink(1)) }
                out.drain(core)
            }
        }
    }

    /// Inputs for the next tick of every player (batches of up to 1024), then one tick.
    func step() {
        var m = 0
        while m < matches {
            let upto = min(matches, m + 128)
            let n = batch.withUnsafeMutableBytes { raw -> Int in
                var w = WireWriter(raw)
                var b = InputBatchWriter()
                try! b.begin(batchSeq: tick, into: &w)
                for mi in m..<upto {
                    for p in 0..<8 {
                        try! b.append(BatchedInput(matchId: UInt64(mi + 1), playerId: UInt64(mi * 8 + p + 1), tick: tick, seq: tick,
                                                   input: InputSample(buttons: 1, steer: Int8(p * 10 - 40))), into: &w)
                    }
                }
                try! b.finish(into: &w)
                return w.count
            }
            batch.withUnsafeBytes { core.receive(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: RelayLink(1)) }
            m = upto
        }
        core.tick()
        out.drain(core)
        tick &+= 1
    }
}

func shardBenchmarks() {
    let f = ShardTickFixture(matches: 100)
    for _ in 0..<300 { f.step() }  // past the countdown, karts moving
    // One shard tick of 100 matches: 800 inputs applied, 100 steps, every 3rd tick 100 frames.
    // Divide by 100 for the cost of one match-tick; 16.67 ms / that = matches per core at 60 Hz.
    Benchmark("Shard: one tick of 100 8-kart matches", configuration: kkConfig(.one, iterations: 3_000)) { benchmark in
        f.step()
        blackHole(f.out.bytes)
    }
}
