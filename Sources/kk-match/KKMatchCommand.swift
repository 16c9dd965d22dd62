import ArgumentParser
import Foundation

/// `kk-match`: the matchmaking front door. One HTTP server carries `POST /v1/match` and the admin
/// endpoints (/healthz, /readyz = Redis connected, /metrics, /status, /drain). A request must
/// carry the auth service's bearer access token (the account plays), unless `--dev-auth`. SIGTERM,
/// SIGINT or POST /drain stop it gracefully. Bad configuration: message on stderr, exit code 2.
@main
struct KKMatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-match",
        abstract: "KartKlash match service: allocates match slots via Redis and issues connect tokens.")

    // Numbers are taken as text and validated in ServiceConfig, so every bad value exits 2
    // with one clear message.
    @Option(help: "HTTP listen host.") var httpHost = "127.0.0.1"
    @Option(help: "HTTP listen port (0: any free port).") var httpPort = "7080"
    @Option(help: "Redis host.") var redisHost = "127.0.0.1"
    @Option(help: "Redis port.") var redisPort = "6379"
    @Option(help: "Token sealing key, 64 hex characters (default: $KK_TOKEN_KEY).") var tokenKey: String?
    @Option(help: "Static relay host:port used when Redis lists no live relay (repeatable).") var relay: [String] = []
    @Option(help: "Connect token validity in seconds.") var tokenSeconds = "60"
    @Option(help: "Player slots per match.") var playersPerMatch = "8"
    @Option(help: "Track of new matches.") var track = "oval"
    @Option(help: "Redis key prefix.") var keyPrefix = "kk:"
    @Flag(help: "The Redis at --redis-host/--redis-port is a node of a Redis Cluster (hash-tagged keys, MOVED/ASK followed).") var redisCluster = false
    @Option(help: ArgumentHelp("Public key of the auth service's access tokens, [kid:]64 hex (repeatable during a key rotation; default: $KK_AUTH_PUBLIC_KEY, comma-separated).",
                               valueName: "key")) var authPublicKey: [String] = []
    @Option(help: "Export traces over OTLP/HTTP to this collector, http://host:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; none: off).") var otlpEndpoint: String?
    @Flag(help: "Development login: anyone may play as any name, no account (load tests only; off by default).") var devAuth = false

    /// Parses and validates (usage and config errors exit 2, ArgumentParser's own would exit 64),
    /// then runs until stopped (exit 0) or a start-up failure (exit 1).
    static func main() async {
        let command: KKMatchCommand
        do {
            command = try parse()
        } catch {
            if exitCode(for: error) == .success { print(fullMessage(for: error)); Foundation.exit(0) }  // --help
            fail("kk-match: \(fullMessage(for: error))", code: 2)
        }
        let config: ServiceConfig
        do {
            config = try ServiceConfig(command, environment: ProcessInfo.processInfo.environment)
        } catch {
            fail("kk-match: \(error)", code: 2)
        }
        do {
            try await MatchProcess(config: config).run()
        } catch {
            fail("kk-match: \(error)", code: 1)
        }
        Foundation.exit(0)
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(code)
    }
}
