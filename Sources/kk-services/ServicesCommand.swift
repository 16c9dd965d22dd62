import ArgumentParser
import Foundation
import KKAdmin
import KKAssets
import KKAuth
import KKConsole
import KKConsoleCore
import KKEconomy
import KKLobby
import KKLobbyCore
import KKMatch
import KKPhysics
import KKPostgres
import KKRedis
import KKResults
import KKSocial
import KKToken
import KKTracing
import KKVoice
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

/// `kk-services`: the platform services (accounts and auth, social now; lobby, results, voice and assets
/// as they land), any subset in one process: one HTTP port with each service's routes and the
/// admin endpoints, PostgreSQL through postgres-nio, migrations applied at start. Bad
/// configuration: message on stderr, exit code 64 (usage); a start-up failure (a migration
/// failed, the port is taken): exit code 1. The process is ready (/readyz 200) once its
/// migrations ran; while PostgreSQL is unreachable it waits, not ready.
@main
struct ServicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-services",
        abstract: "KartKlash platform services (auth, ...) over PostgreSQL.")

    @Option(help: "Services to run, comma-separated (auth, social, lobby, results, economy, assets, voice, console).") var services = "auth,social"
    @Option(help: "HTTP listen host.") var httpHost = "127.0.0.1"
    @Option(help: "HTTP listen port (0: any free port).") var httpPort = 7090
    @Option(help: "PostgreSQL URL postgres://user:password@host:port/db (default: $KK_POSTGRES_URL).") var postgresUrl: String?
    @Option(help: "Ed25519 seed signing access tokens, 64 hex characters (default: $KK_JWT_KEY).") var jwtKey: String?
    @Option(help: "Access token lifetime, seconds.") var accessTokenSeconds = 900
    @Option(help: "Key id (kid) of the signing key (rotate: a new key gets a new id).") var jwtKeyId = AccessTokenSigner.defaultKeyId
    @Option(help: ArgumentHelp("Public key of a previous signing key whose tokens stay valid during a rotation, kid:64 hex (repeatable).",
                               valueName: "kid:hex")) var previousPublicKey: [String] = []
    @Flag(help: "Print the public key of the signing key as kid:hex (for kk-match's --auth-public-key) and exit.") var printPublicKey = false
    @Option(help: "Redis port of the realtime cluster: social presence follows the shards' events (racing, match over). Without it presence comes from client heartbeats only.") var redisPort: Int?
    @Option(help: "Redis host.") var redisHost = "127.0.0.1"
    @Option(help: "Redis key prefix of the cluster (its events channel is <prefix>events).") var redisPrefix = "kk:"
    @Flag(help: "The Redis at --redis-host/--redis-port is a node of a Redis Cluster (hash-tagged keys, MOVED/ASK followed).") var redisCluster = false
    @Option(help: "Lobby: connect-token sealing key, 64 hex characters, the relays' key (default: $KK_TOKEN_KEY). Without it rooms gather but races cannot start.") var tokenKey: String?
    @Option(help: "Lobby: connect token validity, seconds.") var tokenSeconds = 60
    @Option(help: "Lobby: static relay host:port handed out when Redis lists no live relay (repeatable).") var relay: [String] = []
    @Option(help: "Lobby: tracks rooms may vote for, comma-separated.") var tracks = TrackCatalog.names.joined(separator: ",")
    @Option(help: "Lobby: regions quick play serves, comma-separated.") var regions = "local"
    @Option(help: "Lobby: seconds a dropped member's seat is held.") var seatHoldSeconds = 30
    @Option(help: "Lobby: countdown once everyone is ready, seconds.") var countdownSeconds = 5
    @Option(help: "Lobby: the relays' control-plane credential, at least 16 characters (default: $KK_LOBBY_RELAY_SECRET; none: control plane off).") var relaySecret: String?
    @Option(help: "Lobby: commands a socket may send per second (burst: twice as many).") var commandsPerSecond = 10.0
    @Option(help: "WebSocket ping period, seconds: a socket that does not answer a ping before the next one is closed.") var wsPingSeconds = 15
    @Option(help: "Log level.") var logLevel = "info"

    @Option(help: "Results: this consumer's name in the stream's consumer group (a restart under the same name takes its pending entries at once; default: the host name).") var resultsConsumer: String?
    @Option(help: "Results: claim entries another consumer left pending this long, ms.") var resultsClaimIdleMs = 30_000

    @Option(help: "Economy: the operator credential for grants, refunds and catalog changes, at least 16 characters (default: $KK_OPERATOR_SECRET; none: operator routes off).") var operatorSecret: String?

    @OptionGroup(title: "Assets") var assets: AssetOptions
    @OptionGroup(title: "Voice") var voice: VoiceOptions
    @Option(help: "Export traces over OTLP/HTTP to this collector, http://host:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; none: off).") var otlpEndpoint: String?
    @Option(help: "Console: the processes to watch, a JSON targets file (see docs/CONSOLE.md); needed by --services console.") var consoleTargets: String?
    @Option(help: "Lobby: directory of the tracks' files (their SHA-256 pins each race's track version; default: the built-in tracks).") var tracksDir: String?

    static let known: Set<String> = ["auth", "social", "lobby", "results", "economy", "assets", "voice", "console"]

    /// The directory keys' and channels' prefix (hash-tagged on a Redis Cluster: every key the
    /// services touch is a directory key, docs/REDIS-KEYS.md).
    var sharedPrefix: String { RedisKeyspace(prefix: redisPrefix, cluster: redisCluster).shared }

    func redisOptions(_ port: Int) -> RedisClient.Options { .init(host: redisHost, port: port, cluster: redisCluster) }

    func validate() throws {
        let wanted = services.split(separator: ",").map { String($0) }
        guard !wanted.isEmpty else { throw ValidationError("--services is empty") }
        for s in wanted where !Self.known.contains(s) {
            throw ValidationError("unknown service '\(s)': known are \(Self.known.sorted().joined(separator: ", "))")
        }
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0-65535") }
        guard (60...86_400).contains(accessTokenSeconds) else { throw ValidationError("--access-token-seconds must be 60-86400") }
        if let s = operatorSecret, s.count < 16 { throw ValidationError("--operator-secret must be at least 16 characters") }
        try assets.validate(enabled: wanted.contains("assets"))
        try voice.validate(enabled: wanted.contains("voice"), redisPort: redisPort)
        if wanted.contains("console") {
            guard let path = consoleTargets else { throw ValidationError("--services console needs --console-targets FILE") }
            do throws(ConsoleError) { _ = try ConsoleTargets.load(path: path) } catch { throw ValidationError("\(error)") }
        }
        if wanted.contains("results") {
            guard redisPort != nil else { throw ValidationError("--services results needs --redis-port (the results stream is in Redis)") }
            guard (100...3_600_000).contains(resultsClaimIdleMs) else { throw ValidationError("--results-claim-idle-ms must be 100-3600000") }
        }
        if wanted.contains("lobby") {
            guard redisPort != nil else { throw ValidationError("--services lobby needs --redis-port (rooms live in Redis)") }
            let t = tracks.split(separator: ",").map(String.init)
            guard !t.isEmpty else { throw ValidationError("--tracks is empty") }
            for name in t where !TrackCatalog.names.contains(name) {
                throw ValidationError("unknown track '\(name)': known are \(TrackCatalog.names.joined(separator: ", "))")
            }
            guard (1...600).contains(seatHoldSeconds) else { throw ValidationError("--seat-hold-seconds must be 1-600") }
            guard (0...60).contains(countdownSeconds) else { throw ValidationError("--countdown-seconds must be 0-60") }
            guard (10...3600).contains(tokenSeconds) else { throw ValidationError("--token-seconds must be 10-3600") }
            if let s = relaySecret, s.count < 16 { throw ValidationError("--relay-secret must be at least 16 characters") }
            guard (1...10_000).contains(commandsPerSecond) else { throw ValidationError("--commands-per-second must be 1-10000") }
            guard (1...300).contains(wsPingSeconds) else { throw ValidationError("--ws-ping-seconds must be 1-300") }
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let keyHex = jwtKey ?? env["KK_JWT_KEY"], let seed = TokenKey.bytes(hex: keyHex), seed.count == 32 else {
            throw ValidationError("missing or bad signing key: pass --jwt-key or set KK_JWT_KEY (64 hex characters)")
        }
        let previous: [AccessPublicKey]
        do throws(AccessKeyError) { previous = try previousPublicKey.map { (t) throws(AccessKeyError) in try AccessPublicKey(parsing: t) } } catch {
            throw ValidationError("--previous-public-key: \(error)")
        }
        let tokens: AuthTokens
        do throws(AccessKeyError) { tokens = try await AuthTokens(seed: seed, keyId: jwtKeyId, previousKeys: previous) } catch {
            throw ValidationError("\(error)")
        }
        if printPublicKey {
            print("\(tokens.signer.publicKey.keyId):" + tokens.signer.publicKey.raw.map { String(format: "%02x", $0) }.joined())
            return
        }
        guard let url = postgresUrl ?? env["KK_POSTGRES_URL"], !url.isEmpty else {
            throw ValidationError("missing PostgreSQL URL: pass --postgres-url or set KK_POSTGRES_URL")
        }
        let settings: PostgresSettings
        do { settings = try PostgresSettings(url: url) } catch { throw ValidationError(error.description) }
        let host = AsyncServiceHost(name: "kk-services", logLevel: logLevel)
        let logger = host.logger
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        var authConfig = AuthConfig()
        authConfig.accessTokenSeconds = accessTokenSeconds
        let wanted = Set(services.split(separator: ",").map(String.init))
        let auth = AuthService(store: AuthStore(client: client, logger: logger), tokens: tokens, config: authConfig)
        // Social verifies access tokens offline, as every service other than auth does (here with
        // the signing key's public half and any previous ones).
        var socialStore = SocialStore(client: client, logger: logger)
        // With the lobby here, friends' presence changes go to their lobby sockets (the bus).
        let presenceBus = NIOLockedValueBox<LobbyBus?>(nil)
        socialStore.onPresenceChange = { account, presence, friends in
            guard let bus = presenceBus.withLockedValue({ $0 }) else { return }
            var m = LobbyMessage(type: "presence", account: account, text: presence.state)
            m.matchId = presence.matchId
            await bus.send(LobbyWireText(text: String(decoding: (try? JSONEncoder().encode(m)) ?? Data(), as: UTF8.self)), to: friends)
        }
        let social = SocialService(store: socialStore, verifier: tokens.verifier, ticketSigner: tokens.signer)
        host.admin.setReadiness(["migrations: pending"], for: "postgres")
        var sets: [MigrationSet] = []
        if wanted.contains("auth") { sets.append(try AuthMigrations.set()) }
        if wanted.contains("social") { sets.append(try SocialMigrations.set()) }
        // Results pay race rewards into wallets in the transaction that records them: the economy
        // schema comes with the results service.
        if wanted.contains("economy") || wanted.contains("results") { sets.append(try EconomyMigrations.set()) }
        if wanted.contains("results") { sets.append(try ResultsMigrations.set()) }
        let results = ResultsService(store: ResultsStore(client: client, logger: logger, rewards: RaceRewards()), verifier: tokens.verifier)
        let opSecret = operatorSecret ?? env["KK_OPERATOR_SECRET"]
        if let s = opSecret, s.count < 16 { throw ValidationError("KK_OPERATOR_SECRET must be at least 16 characters") }
        let economy = EconomyService(store: EconomyStore(client: client, logger: logger), verifier: tokens.verifier,
                                     operatorSecret: opSecret, metricsFactory: host.metricsFactory)
        let assetService = wanted.contains("assets") ? try assets.service(verifier: tokens.verifier, metricsFactory: host.metricsFactory) : nil
        var resultsBridge: RedisCommandBridge?
        defer { resultsBridge?.shutdown() }
        // Voice: party members always hear each other (the social schema, when social runs here).
        var voiceService: VoiceService?
        var voiceFeed: RedisChannelFeed?
        defer { voiceFeed?.shutdown() }
        if wanted.contains("voice"), let redisPort {
            var partyOf: (@Sendable (Int64) async -> [Int64])?
            if wanted.contains("social") { partyOf = Self.partyMembers(social.store) }
            let v = try voice.service(verifier: tokens.verifier, metricsFactory: host.metricsFactory, partyOf: partyOf)
            let f = try RedisChannelFeed(options: redisOptions(redisPort), channel: sharedPrefix + "positions")
            voiceService = v; voiceFeed = f
            logger.info("kk-services: voice from \(redisHost):\(redisPort) \(redisPrefix)positions, TURN \(v.config.turnURLs)")
        }
        let startup = StartupMigrations(client: client, sets: sets, admin: host.admin, logger: logger)
        var extra: [any Service] = []
        var consoleService: ConsoleService?
        if wanted.contains("console"), let path = consoleTargets {
            let targets: ConsoleTargets
            do throws(ConsoleError) { targets = try ConsoleTargets.load(path: path) } catch { throw ValidationError("\(error)") }
            let state = ConsoleState()
            consoleService = ConsoleService(state: state)
            extra.append(ConsolePoller(targets: targets, state: state))
            logger.info("kk-services: console watching \(targets.targets.count) processes; open http://\(httpHost):\(httpPort)/console")
        }
        if let v = voiceService, let f = voiceFeed { extra.append(VoiceBackground(voice: v, reports: f.messages)) }
        var feed: RedisChannelFeed?
        if wanted.contains("social"), let redisPort {
            guard (1...65535).contains(redisPort) else { throw ValidationError("--redis-port must be 1-65535") }
            let f = try RedisChannelFeed(options: redisOptions(redisPort), channel: sharedPrefix + "events")
            feed = f
            extra.append(PresenceService(feed: PresenceFeed(store: social.store, logger: logger), messages: f.messages))
            logger.info("kk-services: presence from \(redisHost):\(redisPort) \(redisPrefix)events")
        }
        defer { feed?.shutdown() }
        var lobby: LobbyService?
        var lobbyBridge: RedisCommandBridge?
        var lobbyFeed: RedisChannelFeed?
        if wanted.contains("lobby"), let redisPort {
            // With social here too, a player on the lobby socket shows as "lobby" to friends.
            let store = social.store
            var onConnected: (@Sendable (Int64) async -> Void)?
            if wanted.contains("social") {
                onConnected = { (a: Int64) async -> Void in
                    do throws(PostgresStoreError) { try await store.setPresence(me: a, state: "lobby", matchId: nil) } catch {}
                }
            }
            // With the economy here, players pick karts and skins from their inventory in rooms.
            var inventory: (@Sendable (Int64) async throws -> [String])?
            if wanted.contains("economy") {
                let economyStore = economy.store
                let read: @Sendable (Int64) async throws -> [String] = { a in try await economyStore.inventory(account: a) }
                inventory = read
            }
            let built = try await makeLobby(redisPort: redisPort, verifier: tokens.verifier, host: host, assetService: assetService, inventory: inventory,
                                            onPlayerConnected: onConnected)
            lobby = built.0; lobbyBridge = built.1; lobbyFeed = built.2
            presenceBus.withLockedValue { $0 = built.0.bus }
            extra.append(LobbyBackground(lobby: built.0, bus: built.2.messages))
        }
        defer { lobbyFeed?.shutdown(); lobbyBridge?.shutdown() }
        if wanted.contains("results"), let redisPort {
            let bridge = try RedisCommandBridge(options: redisOptions(redisPort))
            resultsBridge = bridge
            var opts = ResultsConsumer.Options(consumer: resultsConsumer ?? ProcessInfo.processInfo.hostName)
            opts.prefix = sharedPrefix
            opts.claimIdleMillis = Int64(resultsClaimIdleMs)
            opts.dieAfterCommit = (env["KK_FAULTS"] ?? "").split(separator: ",").contains("results-die-after-commit")
            extra.append(StreamConsumerService(ResultsConsumer(redis: bridge, store: results.store, options: opts,
                                                                          metricsFactory: host.metricsFactory, logger: logger)))
            var topts = TelemetryConsumer.Options(consumer: opts.consumer)
            topts.prefix = sharedPrefix
            topts.claimIdleMillis = opts.claimIdleMillis
            extra.append(StreamConsumerService(TelemetryConsumer(redis: bridge, store: TelemetryStore(client: client, logger: logger),
                                                                              options: topts, metricsFactory: host.metricsFactory, logger: logger)))
            logger.info("kk-services: results from \(redisHost):\(redisPort) \(redisPrefix)results as \(opts.consumer)")
        }
        struct LobbyStatus: Encodable { var sockets: Int; var relaySockets: Int; var redisConnected: Bool }
        struct Status: Encodable { var service = "kk-services"; var pid = Int(getpid()); var services: String; var postgres: String; var lobby: LobbyStatus? }
        let servicesText = services, pgText = settings.description
        let lobbyRef = lobby, bridgeRef = lobbyBridge
        let tracing: (any Service)?
        do { tracing = try TraceExport.bootstrap(serviceName: "kk-services", endpoint: otlpEndpoint, environment: env) } catch {
            throw ValidationError("\(error)")
        }
        if tracing != nil { logger.info("kk-services: traces over OTLP to \(otlpEndpoint ?? "$OTEL_EXPORTER_OTLP_ENDPOINT")") }
        logger.info("kk-services: \(services) on \(settings)")
        try await host.run(host: httpHost, port: httpPort, routes: { router in
                               if wanted.contains("auth") { auth.addRoutes(to: router) }
                               if wanted.contains("social") { social.addRoutes(to: router) }
                               lobby?.addRoutes(to: router)
                               if wanted.contains("results") { results.addRoutes(to: router) }
                               if wanted.contains("economy") { economy.addRoutes(to: router) }
                               assetService?.addRoutes(to: router)
                               voiceService?.addRoutes(to: router)
                               consoleService?.addRoutes(to: router)
                           }, status: {
                               Status(services: servicesText, postgres: pgText,
                                      lobby: lobbyRef.map { LobbyStatus(sockets: $0.hub.count, relaySockets: $0.relays.count,
                                                                       redisConnected: bridgeRef?.isConnected ?? false) })
                           },
                           services: [client, startup] + extra, tracing: tracing, webSocketPingSeconds: wsPingSeconds)
    }
}

extension ServicesCommand {
    /// A player's party members from the social schema (none when it cannot be read).
    static func partyMembers(_ store: SocialStore) -> @Sendable (Int64) async -> [Int64] {
        { a in
            let party: SocialStore.Party?
            do throws(PostgresStoreError) { party = try await store.party(of: a) } catch { return [] }
            return party?.members.map { $0.accountId } ?? []
        }
    }

    /// The lobby service: its Redis bridge and bus feed, and the race starter when a token key is given.
    func makeLobby(redisPort: Int, verifier: AccessTokenVerifier, host: AsyncServiceHost, assetService: AssetService?,
                   inventory: (@Sendable (Int64) async throws -> [String])?,
                   onPlayerConnected: (@Sendable (Int64) async -> Void)?) async throws -> (LobbyService, RedisCommandBridge, RedisChannelFeed) {
        let env = ProcessInfo.processInfo.environment
        var rules = LobbyRules(tracks: tracks.split(separator: ",").map(String.init))
        rules.seatHoldMillis = Int64(seatHoldSeconds) * 1000
        rules.countdownMillis = Int64(countdownSeconds) * 1000
        var config = LobbyConfig(rules: rules)
        config.prefix = sharedPrefix
        config.regions = regions.split(separator: ",").map(String.init)
        config.commandsPerSecond = commandsPerSecond
        config.commandBurst = 2 * commandsPerSecond
        config.relaySecret = relaySecret ?? env["KK_LOBBY_RELAY_SECRET"]
        config.inventory = inventory
        if let s = config.relaySecret, s.count < 16 { throw ValidationError("KK_LOBBY_RELAY_SECRET must be at least 16 characters") }
        let admin = host.admin
        let bridge = try RedisCommandBridge(options: redisOptions(redisPort), onConnectionChange: { up in
            admin.setReadiness(up ? [] : ["redis: disconnected (lobby)"], for: "lobby")
        })
        let feed = try RedisChannelFeed(options: redisOptions(redisPort), channel: sharedPrefix + "lobby:bus")
        var starter: RoomStarter?
        if let hex = tokenKey ?? env["KK_TOKEN_KEY"] {
            let key: TokenKey
            do { key = try TokenKey(hex: hex) } catch { throw ValidationError("--token-key is not 64 hex characters") }
            let allocator = AllocatorConfig(keys: MatchKeys(prefix: redisPrefix, cluster: redisCluster), playersPerMatch: rules.seats,
                                            playerTTLMillis: UInt64(tokenSeconds) * 1000)
            starter = try RoomStarter(redis: bridge, config: allocator,
                                      matchConfig: MatchServiceConfig(tokenKey: key, tokenSeconds: UInt64(tokenSeconds), staticRelays: relay))
            // Races are pinned to the current published build's track (the bundle clients
            // download) when the assets service runs here, else to the local files.
            let local = try AssetOptions.trackVersions(names: rules.tracks, tracksDir: tracksDir)
            let assets = assetService
            starter?.trackVersion = { name in
                if let a = assets, let sha = await a.currentSha256(of: "track/\(name)", platform: "linux") { return sha }
                return local[name]
            }
        } else {
            host.logger.warning("kk-services: lobby without --token-key: races cannot start")
        }
        let lobby = LobbyService(config: config, redis: bridge, verifier: verifier, starter: starter,
                                 metricsFactory: host.metricsFactory, logger: host.logger, onPlayerConnected: onPlayerConnected)
        host.logger.info("kk-services: lobby on \(redisHost):\(redisPort) \(redisPrefix)lobby:*, control plane \(config.relaySecret == nil ? "off" : "on")")
        return (lobby, bridge, feed)
    }
}

/// Applies every service's migrations once the database answers, then marks the process ready
/// and keeps checking the database every 2 s: while it does not answer, /readyz says so (503
/// "postgres: ...") and requests get 503s with the reason; nothing is half-written (each write
/// is one transaction or one statement). A failed migration stops the process (exit 1).
struct StartupMigrations: Service {
    let client: PostgresClient
    let sets: [MigrationSet]
    let admin: AdminState
    let logger: Logger

    func run() async throws {
        // Wait for the database, saying why on /readyz meanwhile.
        while true {
            do throws(PostgresStoreError) {
                try await PostgresDeadline.ping(client, logger: logger)
                break
            } catch {
                admin.setReadiness(["postgres: \(error)", "migrations: pending"], for: "postgres")
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        for set in sets {
            let applied = try await MigrationRunner.apply(set, on: client, logger: logger)
            logger.info("schema \(set.schema): \(applied.isEmpty ? "up to date" : "applied \(applied)")")
        }
        admin.setReadiness([], for: "postgres")
        await cancelWhenGracefulShutdown {
            var down = false
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                do throws(PostgresStoreError) {
                    try await PostgresDeadline.ping(client, logger: logger)
                    if down { logger.info("postgres answers again"); down = false }
                    admin.setReadiness([], for: "postgres")
                } catch {
                    if Task.isCancelled { break }  // shutting down: not the database's fault
                    if !down { logger.warning("postgres: \(error)"); down = true }
                    admin.setReadiness(["postgres: \(error)"], for: "postgres")
                }
            }
        }
    }
}

/// Runs the presence feed until shutdown (the feed's stream ends when kk-services closes it).
struct PresenceService: Service {
    let feed: PresenceFeed
    let messages: AsyncStream<[UInt8]>

    func run() async throws {
        await cancelWhenGracefulShutdown { await feed.consume(messages) }
    }
}
