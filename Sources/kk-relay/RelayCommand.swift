import ArgumentParser
import Foundation
import Glibc
import KKAdmin
import KKLoop
import KKRelay
import KKRelayCore
import Logging

/// `kk-relay`: the stateless DTLS edge relay (see docs/ARCHITECTURE.md).
@main
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-relay",
        abstract: "Stateless DTLS edge relay: clients over UDP/DTLS-PSK, shards over ENet.",
        subcommands: [Serve.self, Passthrough.self, DTLSBench.self],
        defaultSubcommand: Serve.self)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the relay (default).")

    @Option(help: "JSON config file (Config/relay.json); flags override it.") var config: String?
    @Option(help: "UDP listen host.") var listenHost: String?
    @Option(help: "UDP listen port.") var listenPort: UInt16?
    @Option(help: "Worker processes sharing the port with SO_REUSEPORT (0: one per core).") var workers: Int?
    @Option(help: "Admin HTTP host.") var adminHost: String?
    @Option(help: "Admin HTTP port of worker 0 (worker i uses port + i; 0: any).") var adminPort: Int?
    @Option(help: "Token key, 64 hex chars (repeat: current first). Env KK_TOKEN_KEY.") var tokenKey: [String] = []
    @Option(help: "Cookie secret shared by the POP's workers, 64 hex chars. Env KK_COOKIE_SECRET.") var cookieSecret: String?
    @Option(help: "Redis host.") var redisHost: String?
    @Option(help: "Redis port.") var redisPort: Int?
    @Option(help: "Redis key prefix.") var redisPrefix: String = "kk:"
    @Option(help: "Most client sessions.") var maxSessions: Int?
    @Option(help: "Drain deadline, ms.") var drainDeadlineMs: UInt64?
    @Option(help: "Idle timeout, ms.") var idleTimeoutMs: UInt64?
    @Option(help: "Refuse joins to a registered shard no connection reaches for this long, ms.") var shardUnreachableMs: UInt64?
    @Option(help: "Log level.") var logLevel: String = "info"
    @Option(help: .hidden) var workerIndex: Int?

    func makeConfig() throws -> RelayConfig {
        var c: RelayConfig
        do { c = try ConfigFile.load(RelayConfig.self, path: config, fallback: RelayConfig()) } catch { throw ValidationError(error.description) }
        let env = ProcessInfo.processInfo.environment
        if !tokenKey.isEmpty { c.tokenKeysHex = tokenKey } else if let k = env["KK_TOKEN_KEY"], c.tokenKeysHex.isEmpty { c.tokenKeysHex = [k] }
        if let s = cookieSecret { c.cookieSecretHex = s } else if let s = env["KK_COOKIE_SECRET"], c.cookieSecretHex.isEmpty { c.cookieSecretHex = s }
        if let listenHost { c.listenHost = listenHost }
        if let listenPort { c.listenPort = listenPort }
        if let workers { c.workers = workers }
        if let adminHost { c.adminHost = adminHost }
        if let adminPort { c.adminPort = UInt16(clamping: adminPort) }
        if let redisHost { c.redisHost = redisHost }
        if let redisPort { c.redisPort = redisPort }
        if let maxSessions { c.maxSessions = maxSessions }
        if let drainDeadlineMs { c.drainDeadlineMillis = drainDeadlineMs }
        if let idleTimeoutMs { c.idleTimeoutMillis = idleTimeoutMs }
        if let shardUnreachableMs { c.shardUnreachableMillis = shardUnreachableMs }
        let problems = c.validate()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        return c
    }

    func run() throws {
        var cfg = try makeConfig()
        let count = cfg.workers == 0 ? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) : cfg.workers
        if workerIndex == nil && count > 1 {
            try superviseWorkers(count: count)
            return
        }
        let index = workerIndex ?? 0
        if cfg.adminPort != 0 { cfg.adminPort += UInt16(index) }
        var logger = Logger(label: "kk-relay.\(index)")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let loop = try EventLoop()
        let host = ProcessHost(loop: loop, logger: logger)
        let relay: RelayServer
        do {
            relay = try RelayServer(config: cfg, loop: loop, logger: logger, prefix: redisPrefix)
            try relay.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(2)
        }
        let finish = { relay.stop { loop.stop() } }
        relay.onDrained = finish
        host.onTerminate(finish)
        try host.onDrain { relay.drain() }
        let adminPort = host.startAdmin(host: cfg.adminHost, port: Int(cfg.adminPort))
        logger.info("admin http on \(cfg.adminHost):\(adminPort)")
        publishRelay(host: host, relay: relay, adminPort: adminPort)
        host.everySecond { publishRelay(host: host, relay: relay, adminPort: adminPort) }
        loop.run()
        host.shutdown()
    }

    /// Starts `count` worker processes of this binary on the same port and waits for them;
    /// SIGTERM/SIGINT are forwarded to each worker by pid.
    func superviseWorkers(count: Int) throws {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var pids: [pid_t] = []
        for i in 0..<count {
            let args = CommandLine.arguments.dropFirst().filter { $0 != "serve" } + ["--worker-index", "\(i)"]
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = ([exe, "serve"] + args).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            guard posix_spawn(&pid, exe, nil, nil, argv, environ) == 0 else { throw ValidationError("cannot start worker \(i)") }
            pids.append(pid)
        }
        nonisolated(unsafe) var children = pids
        let forward: @convention(c) (Int32) -> Void = { sig in
            for p in WorkerPids.pids { kill(p, sig) }
        }
        WorkerPids.pids = children
        signal(SIGTERM, forward)
        signal(SIGINT, forward)
        var status: Int32 = 0
        while !children.isEmpty {
            let p = waitpid(-1, &status, 0)
            if p > 0 { children.removeAll { $0 == p } } else if errno != EINTR { break }
        }
    }
}

enum WorkerPids {
    nonisolated(unsafe) static var pids: [pid_t] = []
}

struct Passthrough: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plain UDP passthrough (benchmark only): udpfwd -M's shape, 8-byte session header upstream.")

    @Option(help: "Listen address host:port.") var listen: String
    @Option(help: "Upstream (echo backend) host:port.") var upstream: String
    @Option(help: "Datagrams per recvmmsg/sendmmsg.") var batch: Int = 64
    @Option(help: "Stop after this many seconds (0: run until SIGTERM).") var seconds: Int = 0

    func run() throws {
        guard let l = PeerAddress(listen), let u = PeerAddress(upstream) else { throw ValidationError("addresses must be ip:port") }
        let loop = try EventLoop()
        let relay = try PassthroughRelay(loop: loop, listen: l, upstream: u, reusePort: true, batch: batch)
        try relay.start()
        let sig = LoopSignal(loop: loop)
        sig.start(SIGTERM) { loop.stop() }
        let sigint = LoopSignal(loop: loop)
        sigint.start(SIGINT) { loop.stop() }
        let stopTimer = LoopTimer(loop: loop)
        if seconds > 0 { stopTimer.start(afterMillis: UInt64(seconds) * 1000) { loop.stop() } }
        loop.run()
        let c = relay.counters
        print("{\"client_in\":\(c.clientIn),\"upstream_out\":\(c.upstreamOut),\"upstream_in\":\(c.upstreamIn),\"client_out\":\(c.clientOut),\"dropped\":\(c.droppedNoSession + c.droppedStale + c.droppedTooBig + c.droppedSendQueue)}")
    }
}

/// The relay's /status document.
struct RelayStatus: Encodable {
    var udpPort: Int
    var adminPort: Int
    var sessions: Int
    var playing: Int
    var handshaking: Int
    var shardsConnected: Int
    var redisConnected: Bool
    var registered: Bool
    var draining: Bool
    var drops: [String: Int]
}

func publishRelay(host: ProcessHost, relay: RelayServer, adminPort: Int) {
    let c = relay.counters
    var notReady: [String] = []
    if !relay.redisConnected { notReady.append("redis unreachable") }
    if relay.redisConnected && relay.knownShards == 0 { notReady.append("no shard registered") }
    if relay.drainStartedMillis != nil { notReady.append("draining") }
    host.admin.setReadiness(notReady)
    var drops: [String: Int] = [:]
    for r in RelayDropReason.allCases where c.drops(r) > 0 { drops[r.label] = c.drops(r) }
    let counts = relay.core.sessionCounts
    host.admin.setStatus(RelayStatus(udpPort: Int(relay.port), adminPort: adminPort, sessions: relay.sessionCount,
                                     playing: counts.playing, handshaking: relay.handshakesInProgress,
                                     shardsConnected: relay.shardsConnected, redisConnected: relay.redisConnected,
                                     registered: relay.registered, draining: relay.drainStartedMillis != nil, drops: drops))
    let m = host.metrics
    m.gauge("kk_relay_sessions", value: Double(relay.sessionCount))
    m.gauge("kk_relay_sessions_playing", value: Double(counts.playing))
    m.gauge("kk_relay_handshakes_in_progress", value: Double(relay.handshakesInProgress))
    m.gauge("kk_relay_shard_links_up", value: Double(relay.shardsConnected))
    m.gauge("kk_relay_ready", value: notReady.isEmpty ? 1 : 0)
    m.count("kk_relay_datagrams_total", [("direction", "in")], total: c.datagramsIn)
    m.count("kk_relay_datagrams_total", [("direction", "out")], total: c.datagramsOut)
    m.count("kk_relay_bytes_total", [("direction", "in")], total: c.bytesIn)
    m.count("kk_relay_bytes_total", [("direction", "out")], total: c.bytesOut)
    m.count("kk_relay_handshakes_total", [("result", "ok")], total: c.handshakesOK)
    m.count("kk_relay_handshakes_total", [("result", "failed")], total: c.handshakesFailed)
    m.count("kk_relay_hello_verify_requests_total", total: c.helloVerifyRequests)
    m.count("kk_relay_inputs_forwarded_total", total: c.inputsForwarded)
    m.count("kk_relay_input_batches_total", total: c.inputBatchesSent)
    m.count("kk_relay_frames_total", [("kind", "full")], total: c.framesFull)
    m.count("kk_relay_frames_total", [("kind", "delta")], total: c.framesDelta)
    m.count("kk_relay_frame_bytes_total", total: c.frameBytes)
    m.count("kk_relay_joins_total", [("kind", "join")], total: c.joins)
    m.count("kk_relay_joins_total", [("kind", "resume")], total: c.resumes)
    m.count("kk_relay_idle_timeouts_total", total: c.idleTimeouts)
    for r in RelayDropReason.allCases where c.drops(r) > 0 {
        m.count("kk_relay_packets_dropped_total", [("reason", r.label)], total: c.drops(r))
    }
    m.count("kk_relay_route_lookup_failures_total", total: c.routeLookupFailures)
    m.count("kk_relay_bad_cluster_events_total", total: c.badClusterEvents)
}
