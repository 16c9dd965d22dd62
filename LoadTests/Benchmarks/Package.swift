// swift-tools-version:6.1
// Micro-benchmarks of the KartKlash Edge hot paths (ordo-one/benchmark, allocation counts via
// the MallocInterposer trait, no jemalloc). Run with ./run.sh or `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "KKBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "KartKlashEdge", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KKBench",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "KKWire", package: "KartKlashEdge"),
                .product(name: "KKToken", package: "KartKlashEdge"),
                .product(name: "KKOrdering", package: "KartKlashEdge"),
                .product(name: "KKPhysics", package: "KartKlashEdge"),
                .product(name: "KKDelta", package: "KartKlashEdge"),
                .product(name: "KKPrediction", package: "KartKlashEdge"),
                .product(name: "KKRelayCore", package: "KartKlashEdge"),
                .product(name: "KKShardCore", package: "KartKlashEdge"),
            ],
            path: "Benchmarks/KKBench",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
