import ArgumentParser
import Foundation
import Glibc
import KKLoad
import KKLocalStack
import KKPhysics
import KKToken

/// `kk-load`: synthetic players over the real DTLS handshake and protocol (see LoadTests/README.md).
@main
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-load",
        abstract: "Load generator: N synthetic clients (GameClient + BotDriver) with impairment; JSON + Markdown report.",
        subcommands: [Run.self, MaxPps.self, Merge.self, AuthBench.self, LobbyBench.self, WSEcho.self, ResultsBench.self, VoiceBench.self, AllocBench.self],
        defaultSubcommand: Run.self)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a scenario file (default).")

    @Option(help: "Scenario file (LoadTests/scenarios/*.json).") var scenario: String
    @Option(help: "Override the scenario's client count.") var clients: Int?
    @Option(help: "Hard cap on clients in this process.") var maxClients = 10_000
    @Option(help: "Hard cap on the run's wall time, seconds (the smaller of this and the scenario's maxSeconds).") var maxSeconds = 900
    @Option(help: "Override the scenario's event-loop threads.") var threads: Int?
    @Option(help: "Override the impairment seed.") var seed: UInt64?
    @Flag(help: "Start redis-server (unless --redis-port), the scenario's shards and relays as child processes.") var spawnStack = false
    @Option(help: "Directory of kk-shard and kk-relay (default: next to kk-load).") var binDir: String?
    @Option(help: "Redis port (with --spawn-stack: use this redis instead of starting one).") var redisPort: Int?
    @Option(help: "Redis host of a running stack (loopback, or any address when kk-load runs in a network namespace of its own).") var redisHost = "127.0.0.1"
    @Option(help: "Redis key prefix of a running stack.") var redisPrefix = "kk:"
    @Option(help: "Token key (64 hex) of a running stack. Env KK_TOKEN_KEY.") var tokenKey: String?
    @Option(help: "Relay UDP address of a running stack (repeat).") var relay: [String] = []
    @Option(help: "Shard id of a running stack to allocate matches on (repeat).") var shard: [String] = []
    @Option(help: "Pid of a running relay (CPU split, faults; repeat, same order as --relay).") var relayPid: [Int32] = []
    @Option(help: "Pid of a running shard (CPU split, faults; repeat).") var shardPid: [Int32] = []
    @Option(help: "Ownership TTL to write when allocating on a running stack, ms.") var ownershipTtlMs = 3000
    @Option(help: "Get tokens from kk-match (http://127.0.0.1:PORT) instead of minting them.") var matchUrl: String?
    @Option(help: "With --match-url: log each client in to this auth service (kk-services, http://127.0.0.1:PORT) as a device account first, and ask kk-match with its access token.") var authUrl: String?
    @Option(help: "With --auth-url: get tokens through the lobby (ws://127.0.0.1:PORT/v1/lobby): bots log in, form rooms of the scenario's players per match, vote, ready up and race.") var lobbyUrl: String?
    @Option(help: "Impairing proxy: auto (when the scenario impairs), always, never.") var proxy = "auto"
    @Option(help: "JSON report path (.md and .html reports are written next to it).") var report: String?
    @Option(help: "Log directory of a spawned stack.") var logDir: String?
    @Flag(help: "No live line per second.") var quiet = false
    @Option(help: "Serve the live figures on this 127.0.0.1 port while the run goes (/status, /metrics, /readyz; 0: a free port, printed).") var adminPort: Int?
    @Option(help: "With --lobby-url: the track the bots vote for (and race: they steer and predict on it).") var voteTrack = "oval"

    func run() throws {
        guard let data = FileManager.default.contents(atPath: scenario) else { throw ValidationError("cannot read \(scenario)") }
        var sc: Scenario
        do { sc = try Scenario.load(data) } catch { throw ValidationError("scenario \(scenario): \(error)") }
        if let clients { sc.clients = clients }
        if let threads { sc.threads = threads }
        if let seed { sc.impairment.seed = seed }
        let problems = sc.validate()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
        guard ["auto", "always", "never"].contains(proxy) else { throw ValidationError("--proxy must be auto, always or never") }
        let ownNamespace = LoadCommand.inOwnNetworkNamespace()
        for r in relay where !r.hasPrefix("127.") && !ownNamespace {
            throw ValidationError("--relay must be a loopback address (127.0.0.0/8), unless kk-load runs in a network namespace of its own")
        }
        let count = min(sc.clients, maxClients)
        let cap = min(sc.maxSeconds, maxSeconds)
        raiseFileLimit()

        let stack: Stack
        if spawnStack {
            let bin = binDir ?? URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
            let dir = logDir ?? "/tmp/kk-load-\(sc.name)-\(getpid())"
            log("kk-load: starting stack (\(sc.shards) shard(s), \(sc.relays) relay(s)); logs in \(dir)")
            do { stack = try Stack.spawn(sc, binDir: bin, redisPort: redisPort, logDir: dir) } catch {
                log("kk-load: \(error)")
                throw ExitCode(2)
            }
        } else {
            let hex = tokenKey ?? ProcessInfo.processInfo.environment["KK_TOKEN_KEY"]
            let key: TokenKey
            if matchUrl != nil || lobbyUrl != nil { key = try TokenKey.random() } else {
                guard let hex, let k = try? TokenKey(hex: hex) else { throw ValidationError("--token-key (or KK_TOKEN_KEY) is required without --spawn-stack or --match-url") }
                guard !relay.isEmpty, !shard.isEmpty || matchUrl != nil else { throw ValidationError("--relay and --shard are required without --spawn-stack") }
                key = k
            }
            stack = Stack(key: key, logDir: logDir ?? "/tmp")
            guard redisHost.hasPrefix("127.") || ownNamespace else { throw ValidationError("--redis-host must be a loopback address outside a network namespace") }
            stack.redisHost = redisHost
            stack.redisPort = redisPort ?? 6379
            stack.prefix = redisPrefix
            stack.relayAddresses = relay
            stack.shardIds = shard
            stack.relays = relayPid.enumerated().map { .init(name: "relay\($0.offset)", pid: $0.element) }
            stack.shards = shardPid.enumerated().map { .init(name: "shard\($0.offset)", pid: $0.element) }
        }
        defer { stack.stop() }

        let source: any TokenSource
        if authUrl != nil && matchUrl == nil && lobbyUrl == nil { throw ValidationError("--auth-url needs --match-url or --lobby-url") }
        if lobbyUrl != nil && (authUrl == nil || matchUrl != nil) { throw ValidationError("--lobby-url needs --auth-url (and no --match-url)") }
        if lobbyUrl != nil && sc.rematch { throw ValidationError("scenario rematch needs local tokens or --match-url (not --lobby-url)") }
        if let lobbyUrl, let authUrl {
            source = try LobbyTokenSource(authURL: authUrl, lobbyURL: lobbyUrl, roomSize: sc.playersPerMatch, tracks: [voteTrack])
        } else if let matchUrl {
            source = try MatchServiceTokenSource(url: matchUrl, authURL: authUrl)
        } else {
            guard let redis = RedisSync(host: stack.redisHost, port: stack.redisPort) else {
                log("kk-load: cannot connect to redis on \(stack.redisHost):\(stack.redisPort)")
                throw ExitCode(2)
            }
            source = LocalTokenSource(redis: redis, issuer: try TokenIssuer(key: stack.key), prefix: stack.prefix, shards: stack.shardIds,
                                      relays: stack.relayAddresses, playersPerMatch: sc.playersPerMatch,
                                      ownershipTtlMillis: spawnStack ? sc.ownershipTtlMillis : ownershipTtlMs,
                                      validSeconds: UInt64(cap + 120))
        }
        let useProxy = proxy == "always" || (proxy == "auto" && !sc.impairment.isNone)
        log("kk-load: \(sc.name): \(count) clients at \(sc.inputHz) Hz, ramp \(sc.ramp.stepClients)/\(sc.ramp.stepSeconds)s, "
            + "planned \(sc.plannedSeconds)s (cap \(cap)s), \(sc.threads) thread(s), proxy \(useProxy ? "on" : "off")")
        let coordinator = Coordinator(scenario: sc, stack: stack, tokens: source, clients: count, hardCapSeconds: cap,
                                      useProxy: useProxy, quiet: quiet)
        guard TrackCatalog.names.contains(voteTrack) else { throw ValidationError("--vote-track: known are \(TrackCatalog.names.joined(separator: ", "))") }
        if lobbyUrl != nil { coordinator.track = voteTrack }
        var live: LiveStatus?
        if let adminPort {
            guard (0...65535).contains(adminPort) else { throw ValidationError("--admin-port must be 0-65535") }
            let l = LiveStatus(port: adminPort, clients: count)
            guard l.port > 0 else { throw ValidationError("--admin-port \(adminPort): cannot serve there") }
            log("kk-load: live figures on http://127.0.0.1:\(l.port)/status")
            coordinator.onSecond = { l.second($0, faults: $1) }
            live = l
        }
        let result = coordinator.run()
        live?.stop()
        let path = report ?? "kk-load-\(sc.name).json"
        let md = try writeReports(result, path)
        let s = result.summary!
        log(String(format: "kk-load: %@ | latency p50 %.1f p99 %.1f p99.9 %.1f max %.1f ms | loss down %.3f%% up %.3f%% | errors %d | handshake p99 %.1f ms | resumes %d",
                   s.passed ? "PASSED" : "FAILED", s.latencyMillis.p50, s.latencyMillis.p99, s.latencyMillis.p999, s.latencyMillis.max,
                   s.downLoss * 100, s.upLoss * 100, s.errors, s.handshakeMillis.p99, s.resumes))
        let fo = result.counters
        log("kk-load: relay failovers \(fo.relayChanges): silent \(fo.failoversSilent), draining \(fo.failoversDraining), closed \(fo.failoversClosed), handshake \(fo.failoversHandshake); client rounds held up over 100 ms \(fo.heldUpRounds)")
        if let k = s.knee { log("kk-load: knee \(k.clients) clients" + (k.brokeAtClients.map { ", broke at \($0): \(k.brokeBecause ?? "")" } ?? " (budget never broke)")) }
        for f in s.faultImpacts {
            log(String(format: "kk-load: fault t=%.1fs %@: %d resumes, %d relay changes, %d of %d inputs lost, %d stalls p50 %.0f p99 %.0f longest %.0f ms, %d clients failed (%d s window)",
                       f.atSeconds, f.target, f.resumes, f.relayChanges, f.inputsLost, f.inputsChecked, f.stalls, f.stallP50Millis, f.stallP99Millis,
                       f.maxStallMillis, f.clientsFailed, f.windowSeconds))
        }
        for v in s.violations { log("kk-load: threshold: \(v)") }
        log("kk-load: report \(path), \(md), \(md.dropLast(3)).html")
        if !s.passed { throw ExitCode(1) }
    }
}

extension LoadCommand {
    /// Whether this process runs in a named network namespace (one `ip netns add` made: its
    /// handle is /run/netns/NAME and its inode is this process's namespace): only then may it
    /// send to addresses outside loopback (the namespaces' own addresses, e.g. the anycast test's).
    static func inOwnNetworkNamespace() -> Bool {
        guard let mine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return false }
        for name in names {
            var st = stat()
            if stat("/run/netns/\(name)", &st) == 0, mine == "net:[\(st.st_ino)]" { return true }
        }
        return false
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Merge the JSON reports of several kk-load processes of one run.")
    @Argument(help: "Report files.") var files: [String]
    @Option(help: "Merged JSON report path (.md and .html are written next to it).") var report = "kk-load-merged.json"

    func run() throws {
        var reports: [LoadReport] = []
        for f in files {
            guard let d = FileManager.default.contents(atPath: f) else { throw ValidationError("cannot read \(f)") }
            reports.append(try LoadReport.parse(d))
        }
        guard let m = LoadReport.merged(reports) else { throw ValidationError("no reports") }
        _ = try writeReports(m, report)
        print(MarkdownReport.render(m))
    }
}

/// Two sockets per client: lift the soft fd limit to the hard one.
func raiseFileLimit() {
    var l = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &l) == 0, l.rlim_cur < l.rlim_max {
        l.rlim_cur = l.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &l)
    }
}

/// Writes the JSON report at `path` and the Markdown and HTML (latency plot) reports next to
/// it; returns the Markdown path.
func writeReports(_ r: LoadReport, _ path: String) throws -> String {
    try r.json().write(to: URL(fileURLWithPath: path))
    let stem = path.hasSuffix(".json") ? String(path.dropLast(5)) : path
    try MarkdownReport.render(r).write(toFile: stem + ".md", atomically: true, encoding: .utf8)
    try HTMLReport.render(r).write(toFile: stem + ".html", atomically: true, encoding: .utf8)
    return stem + ".md"
}
