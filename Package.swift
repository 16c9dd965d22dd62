// swift-tools-version:6.1
// KartKlash Edge: stateless DTLS edge relay, authoritative sim shards, client SDK, load tests.
import PackageDescription

/// One system-library target per Debian C library (pkg-config + apt provider).
func shim(_ name: String, pkg: String?, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkg, providers: [.apt([apt])])
}

let package = Package(
    name: "KartKlashEdge",
    products: [
        .library(name: "KKWire", targets: ["KKWire"]),
        .library(name: "KKToken", targets: ["KKToken"]),
        .library(name: "KKOrdering", targets: ["KKOrdering"]),
        .library(name: "KKPhysics", targets: ["KKPhysics"]),
        .library(name: "KKDelta", targets: ["KKDelta"]),
        .library(name: "KKPrediction", targets: ["KKPrediction"]),
        .library(name: "KKNetSim", targets: ["KKNetSim"]),
        .library(name: "KKDTLS", targets: ["KKDTLS"]),
        .library(name: "KKRelayCore", targets: ["KKRelayCore"]),
        .library(name: "KKRelay", targets: ["KKRelay"]),
        .library(name: "KKShardCore", targets: ["KKShardCore"]),
        .library(name: "KKShard", targets: ["KKShard"]),
        .library(name: "KKClient", targets: ["KKClient"]),
        .library(name: "KKTerminalUI", targets: ["KKTerminalUI"]),
        .executable(name: "kk-replay", targets: ["kk-replay"]),
        .executable(name: "kk-assets", targets: ["kk-assets"]),
        .executable(name: "kk-shard", targets: ["kk-shard"]),
        .executable(name: "kk-relay", targets: ["kk-relay"]),
        .executable(name: "kk-udp-passthrough", targets: ["kk-udp-passthrough"]),
        .library(name: "KKMatch", targets: ["KKMatch"]),
        .executable(name: "kk-match", targets: ["kk-match"]),
        .executable(name: "kk-services", targets: ["kk-services"]),
        .executable(name: "kk-console", targets: ["kk-console"]),
        .executable(name: "kk-load", targets: ["kk-load"]),
        .executable(name: "kk-fuzz", targets: ["kk-fuzz"]),
        .library(name: "KKLoad", targets: ["KKLoad"]),
        .executable(name: "kk-client", targets: ["kk-client"]),
        // C ABI for game engines (include/kartklash_client.h).
        .library(name: "KartKlashClient", type: .dynamic, targets: ["KKClientC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // OTLP over HTTP only (no gRPC stack compiled).
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.3.0"),
    ],
    targets: [
        // C shims: headers + static inline wrappers of macros, prefix crelay_.
        shim("CLibUV", pkg: "libuv", apt: "libuv1-dev"),
        shim("COpenSSL", pkg: "openssl", apt: "libssl-dev"),
        shim("CENet", pkg: "libenet", apt: "libenet-dev"),
        shim("CHiredis", pkg: "hiredis", apt: "libhiredis-dev"),
        // hiredis on libuv: a fixed copy of hiredis' adapter, as real C (KKRedis attaches with it).
        .target(name: "CRedisLibuv", dependencies: ["CHiredis", "CLibUV"], path: "Sources/CRedisLibuv"),
        // Linux socket calls Swift's Glibc does not expose (recvmmsg/sendmmsg).
        .systemLibrary(name: "CNetLinux", path: "Sources/CNetLinux"),
        // The allocator's bytes in use (glibc mallinfo2, or the sanitizer allocator's figure).
        .systemLibrary(name: "CHeapStats", path: "Sources/CHeapStats"),

        // Pure modules (no I/O).
        // The byte vocabulary every pure module reads and writes with (readers, writers, bit
        // packing, byte sinks) and the protocol's limits: the leaf of the graph.
        .target(name: "KKBytes"),
        .target(name: "KKWire", dependencies: ["KKBytes"]),
        .target(name: "KKOrdering", dependencies: ["KKWire"]),
        .target(name: "KKToken", dependencies: ["KKWire", "COpenSSL"]),

        // I/O-free DTLS 1.2 (OpenSSL, memory BIOs): cookie gate, PSK-token handshake, sessions.
        .target(name: "KKDTLS", dependencies: ["COpenSSL", "KKToken", "KKWire"]),

        .target(name: "KKPhysics", dependencies: ["KKBytes"]),
        .target(name: "KKDelta", dependencies: ["KKBytes", "KKPhysics", "KKWire"]),
        .target(name: "KKPrediction", dependencies: ["KKPhysics"]),
        .target(name: "KKNetSim", dependencies: ["KKBytes", "KKPhysics", "KKDelta", "KKPrediction"]),
        // Client SDK core: session state machine, inputs, frames, prediction (no I/O).
        .target(name: "KKClient", dependencies: ["KKWire", "KKPhysics", "KKDelta", "KKPrediction"]),
        // The relay's protocol logic, sans I/O: sessions, input and frame paths, route table,
        // outbound queue (the compiler keeps it pure: no I/O module is a dependency).
        .target(name: "KKRelayCore", dependencies: ["KKWire", "KKToken", "KKOrdering", "KKPhysics", "KKDelta"]),
        // The shard's protocol logic, sans I/O: matches, joins, inputs at their tick, frames,
        // outbound queue.
        .target(name: "KKShardCore", dependencies: ["KKWire", "KKPhysics", "KKResultsCore"]),
        // Race results as pure values: what a shard publishes when a race ends, and the
        // re-simulation that verifies one.
        .target(name: "KKResultsCore", dependencies: ["KKPhysics"]),
        // Asset bundles (pure): content addressing, Ed25519-signed manifests, SigV4 for S3.
        .target(name: "KKAssetsCore", dependencies: ["KKToken", .product(name: "Crypto", package: "swift-crypto")]),
        // Asset publishing: an S3-compatible store (SigV4, async-http-client) and the publisher.
        .target(name: "KKAssets", dependencies: [
            "KKAssetsCore", "KKAccessToken", "KKAdmin",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Terminal rendering and keyboard decoding for kk-client (pure).
        .target(name: "KKTerminalUI", dependencies: ["KKPhysics", "KKLobbyCore"]),

        // I/O adapters (thin; one event-loop thread each).
        .target(name: "KKLoop", dependencies: ["CLibUV", "CNetLinux", "KKBytes"]),
        .target(name: "KKRedis", dependencies: ["CHiredis", "CRedisLibuv", "CLibUV", "COpenSSL", "KKLoop"]),
        .target(name: "KKENet", dependencies: ["CENet", "KKLoop"]),

        .target(name: "KKClientTransport", dependencies: ["KKDTLS", "KKLoop", "KKToken", "KKWire"]),

        .target(name: "KKClientSDK", dependencies: [
            "KKClient", "KKClientTransport", "KKDTLS", "KKLoop", "KKPhysics", "KKToken", "KKWire", "KKLobbyCore", "KKAssetsCore", "KKVoiceCore",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Services.
        .target(name: "KKShard", dependencies: ["KKShardCore", "KKResultsCore", "KKAdmin", "KKLocalStack", "KKWire", "KKPhysics", "KKLoop", "KKENet", "KKRedis", "KKVoiceCore", "KKAssetsCore",
                                                .product(name: "Logging", package: "swift-log")]),
        .target(name: "KKRelay", dependencies: ["KKRelayCore", "KKAdmin", "KKWire", "KKToken", "KKLoop", "KKENet", "KKRedis", "KKDTLS",
                                                "KKLobbyCore",
                                                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                                                .product(name: "Logging", package: "swift-log")]),
        // Admin HTTP (Hummingbird on its own thread) + Prometheus metrics for every process.
        // Config files (Config/*.json) over built-in defaults: pure Foundation, no I/O beyond the read.
        .target(name: "KKConfig"),
        .target(name: "KKAdmin", dependencies: [
            "KKLoop", "CHeapStats",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Matchmaking front door: allocator (Redis Lua) + HTTP routes; kk-match serves them.
        .target(name: "KKMatch", dependencies: [
            "KKRedis", "KKLoop", "KKToken", "KKAccessToken",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .executableTarget(name: "kk-match", dependencies: [
            "KKTracing",
            "KKMatch", "KKAdmin", "KKToken", "KKRedis", "KKWire", "KKPhysics", "KKAccessToken",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // Platform services: PostgreSQL access and migrations (adapter), one module per service,
        // and kk-services hosting any subset of them.
        .target(name: "KKPostgres", dependencies: [
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Access tokens (EdDSA JWT): signed by KKAuth, verified offline by every other service.
        .target(name: "KKAccessToken", dependencies: [
            "KKToken",
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "KKAuth", dependencies: [
            "KKPostgres", "KKToken", "KKAccessToken", "KKAdmin", "COpenSSL",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Lobby rooms as pure state (the lobby service stores them in Redis between commands).
        .target(name: "KKLobbyCore", dependencies: ["KKToken"]),
        // Traces of the control plane: OTLP/HTTP export when an endpoint is configured (swift-otel),
        // spans around login, allocation and the services' requests (W3C trace context).
        .target(name: "KKTracing", dependencies: [
            .product(name: "OTel", package: "swift-otel"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The console's model (pure): snapshots of the stack, the targets file, the terminal view.
        .target(name: "KKConsoleCore", dependencies: ["KKResultsCore"]),
        // The console service: polls every process, serves the snapshots and the web page.
        .target(name: "KKConsole", dependencies: [
            "KKConsoleCore", "KKResultsCore", "KKAdmin",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // The main job's terminal view: the console's snapshots drawn once a second.
        .executableTarget(name: "kk-console", dependencies: [
            "KKConsoleCore", "KKLocalStack", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Proximity voice chat signalling as pure state: TURN REST credentials, the signalling
        // messages, distance fade, and who hears whom per match (WebRTC media is peer to peer).
        .target(name: "KKVoiceCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The voice signalling service: WebSocket, proximity from the shards' position reports.
        .target(name: "KKVoice", dependencies: [
            "KKVoiceCore", "KKLobby", "KKAccessToken",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // The lobby service: rooms and quick play in Redis (any instance serves any room),
        // player and relay WebSockets, the bus between instances.
        .target(name: "KKLobby", dependencies: [
            "KKLobbyCore", "KKRedis", "KKMatch", "KKToken", "KKAccessToken", "KKAdmin",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Economy: wallets, append-only ledger, store catalog, purchases, refunds, inventory.
        .target(name: "KKEconomy", dependencies: [
            "KKPostgres", "KKAccessToken", "KKAdmin",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // Results: the shards' race results consumed into PostgreSQL, verified by re-simulation.
        .target(name: "KKResults", dependencies: [
            "KKPostgres", "KKResultsCore", "KKEconomy", "KKRedis", "KKAdmin", "KKPhysics", "KKAccessToken",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "KKSocial", dependencies: [
            "KKPostgres", "KKAccessToken", "KKAdmin", "KKWire",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "kk-services", dependencies: [
            "KKTracing",
            "KKAuth", "KKSocial", "KKLobby", "KKLobbyCore", "KKMatch", "KKPhysics", "KKPostgres", "KKAdmin", "KKToken", "KKRedis", "KKAccessToken",
            "KKResults", "KKEconomy", "KKAssets", "KKAssetsCore", "KKVoice", "KKVoiceCore", "KKConsole", "KKConsoleCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tools.
        .executableTarget(name: "kk-replay", dependencies: ["KKPhysics"]),
        .executableTarget(name: "kk-assets", dependencies: [
            "KKAssets", "KKAssetsCore", "KKToken",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "kk-relay", dependencies: [
            "KKRelay", "KKAdmin", "KKConfig", "KKLoop", "KKWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Benchmark only: plain UDP passthrough on the relay's socket layer (LoadTests/bench.sh).
        .executableTarget(name: "kk-udp-passthrough", dependencies: [
            "KKLoop", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "kk-shard", dependencies: [
            "KKShard", "KKAdmin", "KKConfig", "KKLoop",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Load generator: pure report/scenario/impairment logic, and the kk-load tool (see LoadTests/README.md).
        // Fuzz targets for every decoder of network, Redis and disk bytes (kk-fuzz; Ops/scripts/fuzz.sh).
        .target(name: "KKFuzz", dependencies: ["KKWire", "KKDelta", "KKPhysics", "KKToken", "KKShardCore", "KKRelayCore",
                                               "KKLoad", "KKConfig"]),
        .executableTarget(name: "kk-fuzz", dependencies: [
            "KKFuzz", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "KKLoad", dependencies: ["KKPhysics", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        // The in-process impairing UDP proxy (seeded latency, jitter, loss, duplication, reordering).
        .target(name: "KKImpair", dependencies: ["KKBytes", "KKLoad", "KKLoop"]),
        .executableTarget(name: "kk-load", dependencies: [
            "KKLoad", "KKImpair", "KKClientSDK", "KKClient", "KKClientTransport", "KKDTLS", "KKLoop", "KKToken", "KKPhysics", "KKWire",
            "KKLocalStack", "KKAuth", "KKAccessToken", "KKLobbyCore", "KKResults", "KKResultsCore", "KKEconomy", "KKPostgres", "KKRedis", "KKVoiceCore",
            "KKConsoleCore", "KKAdmin", "KKMatch", .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "kk-client", dependencies: [
            "KKClientSDK", "KKClient", "KKTerminalUI", "KKLoop", "KKPhysics", "KKLobbyCore", "KKAssetsCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // C ABI over the client SDK: the header and the thread-local error text in C, the
        // entry points in Swift (@_cdecl, opaque handles).
        .target(name: "CKartKlashClient", path: "Sources/CKartKlashClient"),
        .target(name: "KKClientC", dependencies: ["CKartKlashClient", "KKClientSDK", "KKClient", "KKLoop", "KKPhysics", "KKTerminalUI", "KKToken",
                                                  "KKLobbyCore"]),

        // Driving a local stack from tools and tests: child processes stopped by pid, blocking
        // Redis, loopback HTTP probes (kk-load and the system tests).
        .target(name: "KKLocalStack", dependencies: ["CHiredis"]),
        // Seeded PRNG, hex, byte mutators, product paths shared by the test targets.
        .target(name: "KKTestSupport", dependencies: ["KKPhysics", "KKLoop", "KKRedis", "CHiredis", "KKLocalStack", "KKResultsCore"]),

        // Tests: one target per module, plus the shim smoke tests.
        .testTarget(name: "KKBytesTests", dependencies: ["KKBytes"]),
        .testTarget(name: "KKLobbyCoreTests", dependencies: ["KKLobbyCore"]),
        .testTarget(name: "KKVoiceCoreTests", dependencies: ["KKVoiceCore"]),
        .testTarget(name: "KKConsoleCoreTests", dependencies: ["KKConsoleCore", "KKResultsCore"]),
        .testTarget(name: "KKConsoleTests", dependencies: [
            "KKConsole", "KKConsoleCore", "KKAdmin",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KKVoiceTests", dependencies: ["KKVoice", "KKVoiceCore", "KKLobby"]),
        .testTarget(name: "KKAssetsCoreTests", dependencies: ["KKAssetsCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "KKAssetsTests", dependencies: ["KKAssets", "KKAssetsCore", "KKTestSupport", "KKLocalStack", "kk-assets",
                                                         "KKClientSDK", "KKLobbyCore", "KKAccessToken", "KKAdmin",
                                                         .product(name: "Crypto", package: "swift-crypto"),
                                                         .product(name: "Hummingbird", package: "hummingbird"),
                                                         .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                         .product(name: "Metrics", package: "swift-metrics")]),
        .testTarget(name: "KKResultsCoreTests", dependencies: ["KKResultsCore", "KKPhysics", "KKTestSupport"]),
        .testTarget(name: "KKLobbyTests", dependencies: ["KKLobby", "KKLobbyCore", "KKRedis", "KKMatch", "KKToken", "KKTestSupport"]),
        .testTarget(name: "KKAuthTests", dependencies: [
            "KKAuth", "KKSocial", "KKAccessToken", "KKAdmin", "KKPostgres", "KKTestSupport", "kk-services", "KKClientSDK",
            "KKRedis", "KKLocalStack", "KKLobby", "KKLobbyCore", "KKResults", "KKResultsCore", "KKPhysics", "KKEconomy", "KKAssets", "KKAssetsCore", "KKConsole",
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "KKWireTests", dependencies: ["KKWire", "KKTestSupport"]),
        .testTarget(name: "KKOrderingTests", dependencies: ["KKOrdering", "KKWire", "KKTestSupport"]),
        .testTarget(name: "KKFuzzTests", dependencies: ["KKFuzz", "KKTestSupport"]),
        .testTarget(name: "KKTokenTests", dependencies: ["KKToken", "KKWire", "KKTestSupport"]),
        .testTarget(name: "KKDTLSTests", dependencies: ["KKDTLS", "KKToken", "KKWire", "KKTestSupport"]),
        .testTarget(name: "KKPhysicsTests", dependencies: ["KKPhysics"], exclude: ["Fixtures"]),
        .testTarget(name: "KKDeltaTests", dependencies: ["KKDelta", "KKPhysics", "KKWire", "KKTestSupport"]),
        .testTarget(name: "KKPredictionTests", dependencies: ["KKPrediction", "KKPhysics"]),
        .testTarget(name: "KKNetSimTests", dependencies: ["KKNetSim"]),
        .testTarget(name: "KKReplayTests", dependencies: ["kk-replay", "KKPhysics"]),
        .testTarget(name: "KKRedisTests", dependencies: ["KKRedis", "KKLoop", "KKTestSupport"]),
        .testTarget(name: "KKShardCoreTests", dependencies: ["KKShardCore", "KKPhysics", "KKWire", "KKTestSupport"]),
        .testTarget(name: "KKShardTests", dependencies: ["KKShard", "KKShardCore"]),
        .testTarget(name: "KKRelayCoreTests", dependencies: ["KKRelayCore", "KKShardCore", "KKDelta", "KKPhysics", "KKToken", "KKWire",
                                                            "KKTestSupport"]),
        .testTarget(name: "KKLoopTests", dependencies: ["KKLoop"]),
        .testTarget(name: "KKENetTests", dependencies: ["KKENet", "KKLoop", "KKTestSupport"]),
        .testTarget(name: "KKAdminTests", dependencies: ["KKAdmin", "KKConfig", "KKTestSupport", .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "KKClientTransportTests", dependencies: ["KKClientTransport", "KKDTLS", "KKLoop", "KKToken", "KKTestSupport"]),
        .testTarget(name: "KKClientCTests", dependencies: ["KKClientC", "CKartKlashClient", "KKClientSDK", "KKToken"]),
        .testTarget(name: "KKImpairTests", dependencies: ["KKImpair", "KKLoad", "KKLoop", "KKTestSupport"]),
        .testTarget(name: "KKClientSDKTests", dependencies: ["KKClientSDK", "KKClient", "KKLoop", "KKPhysics", "KKToken"]),
        .testTarget(name: "KKRelayTests", dependencies: ["KKRelay", "KKRelayCore", "KKShard", "KKDelta", "KKPhysics", "KKToken", "KKWire",
                                                        "KKTestSupport", "KKClientTransport", "KKDTLS", "KKLoop", "KKRedis", "KKAdmin", "KKConfig",
                                                        .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "KKClientTests", dependencies: ["KKClient", "KKRelayCore", "KKShardCore", "KKToken", "KKWire",
                                                          "KKPhysics", "KKDelta", "KKPrediction"]),
        .testTarget(name: "KKTerminalUITests", dependencies: ["KKTerminalUI", "KKPhysics", "KKLobbyCore"]),
        .testTarget(name: "KKSystemTests", dependencies: [
            "kk-shard", "kk-relay", "kk-client", "kk-services", "kk-assets", "KKLobbyCore", "KKAccessToken", "KKLocalStack", "KKClientSDK", "KKImpair", "KKLoad", "KKClient", "KKToken", "KKLoop", "KKPhysics", "KKWire", "CHiredis", "KKTestSupport", "KKVoiceCore", "KKShard",
            "KKConsoleCore", "kk-console", "kk-match", "KKRedis",
        ]),
        .testTarget(name: "KKMatchTests", dependencies: [
            "KKMatch", "kk-match", "KKAccessToken", "KKAdmin", "KKRedis", "KKLoop", "KKToken", "KKTestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "KKLoadTests", dependencies: ["KKLoad"]),
        // Runs LoadTests/scenarios/smoke.json with kk-load against kk-shard/kk-relay processes it starts.
        .testTarget(name: "KKLoadSmokeTests", dependencies: ["kk-load", "kk-shard", "kk-relay", "KKLoad", "KKTestSupport"]),
        .testTarget(name: "ShimSmokeTests", dependencies: ["CLibUV", "COpenSSL", "CENet", "CHiredis", "CRedisLibuv", "KKTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
