import ArgumentParser
import Foundation
import KKAdmin
import KKAuth
import KKPostgres
import KKRedis
import KKSocial
import KKToken
import Logging
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

    @Option(help: "Services to run, comma-separated (auth, social).") var services = "auth,social"
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
    @Option(help: "Log level.") var logLevel = "info"

    static let known: Set<String> = ["auth", "social"]

    func validate() throws {
        let wanted = services.split(separator: ",").map { String($0) }
        guard !wanted.isEmpty else { throw ValidationError("--services is empty") }
        for s in wanted where !Self.known.contains(s) {
            throw ValidationError("unknown service '\(s)': known are \(Self.known.sorted().joined(separator: ", "))")
        }
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0-65535") }
        guard (60...86_400).contains(accessTokenSeconds) else { throw ValidationError("--access-token-seconds must be 60-86400") }
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
        let social = SocialService(store: SocialStore(client: client, logger: logger), verifier: tokens.verifier,
                                   ticketSigner: tokens.signer)
        host.admin.setReadiness(["migrations: pending"])
        var sets: [MigrationSet] = []
        if wanted.contains("auth") { sets.append(try AuthMigrations.set()) }
        if wanted.contains("social") { sets.append(try SocialMigrations.set()) }
        let startup = StartupMigrations(client: client, sets: sets, admin: host.admin, logger: logger)
        var extra: [any Service] = []
        var feed: RedisChannelFeed?
        if wanted.contains("social"), let redisPort {
            guard (1...65535).contains(redisPort) else { throw ValidationError("--redis-port must be 1-65535") }
            let f = try RedisChannelFeed(options: .init(host: redisHost, port: redisPort), channel: redisPrefix + "events")
            feed = f
            extra.append(PresenceService(feed: PresenceFeed(store: social.store, logger: logger), messages: f.messages))
            logger.info("kk-services: presence from \(redisHost):\(redisPort) \(redisPrefix)events")
        }
        defer { feed?.shutdown() }
        struct Status: Encodable { var service = "kk-services"; var pid = Int(getpid()); var services: String; var postgres: String }
        let status = Status(services: services, postgres: settings.description)
        logger.info("kk-services: \(services) on \(settings)")
        try await host.run(host: httpHost, port: httpPort, routes: { router in
                               if wanted.contains("auth") { auth.addRoutes(to: router) }
                               if wanted.contains("social") { social.addRoutes(to: router) }
                           }, status: { status },
                           services: [client, startup] + extra)
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
                admin.setReadiness(["postgres: \(error)", "migrations: pending"])
                if Task.isCancelled { return }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        for set in sets {
            let applied = try await MigrationRunner.apply(set, on: client, logger: logger)
            logger.info("schema \(set.schema): \(applied.isEmpty ? "up to date" : "applied \(applied)")")
        }
        admin.setReadiness([])
        await cancelWhenGracefulShutdown {
            var down = false
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                do throws(PostgresStoreError) {
                    try await PostgresDeadline.ping(client, logger: logger)
                    if down { logger.info("postgres answers again"); down = false }
                    admin.setReadiness([])
                } catch {
                    if Task.isCancelled { break }  // shutting down: not the database's fault
                    if !down { logger.warning("postgres: \(error)"); down = true }
                    admin.setReadiness(["postgres: \(error)"])
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
