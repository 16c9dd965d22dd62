// KartKlash Edge micro-benchmarks (ordo-one/benchmark). One suite, grouped by name prefix:
// Wire, Token, Ordering, Physics, Delta. See ../../README.md for how to run and read them.
import Benchmark

/// Metrics every benchmark records. `instructions` needs perf counters (perf_event_open),
/// which this VM does not expose (`perf stat -e instructions true` says "not supported");
/// set KK_BENCH_INSTRUCTIONS=1 to add it on a machine that has them.
let kkMetrics: [BenchmarkMetric] = {
    var m: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
    if ProcessEnv.flag("KK_BENCH_INSTRUCTIONS") { m.append(.instructions) }
    return m
}()

/// A bounded configuration: at most `seconds` of measuring and `iterations` samples, so the
/// whole suite finishes in a few minutes. `scaling` = operations per sample (numbers shown per op).
func kkConfig(_ scaling: BenchmarkScalingFactor, seconds: Int = 2, iterations: Int = 10_000,
              extra: [BenchmarkMetric] = []) -> Benchmark.Configuration {
    .init(metrics: kkMetrics + extra, timeUnits: .nanoseconds, warmupIterations: 5,
          scalingFactor: scaling, maxDuration: .seconds(seconds), maxIterations: iterations)
}

let benchmarks: @Sendable () -> Void = {
    controlBenchmarks()
    wireBenchmarks()
    tokenBenchmarks()
    orderingBenchmarks()
    physicsBenchmarks()
    relayBenchmarks()
    shardBenchmarks()
}

/// Control: an empty sample, to show what the harness itself costs and allocates per sample.
func controlBenchmarks() {
    Benchmark("Control: empty sample (harness overhead)", configuration: kkConfig(.one, iterations: 10_000)) { benchmark in
        blackHole(benchmark.currentIteration)
    }
}
