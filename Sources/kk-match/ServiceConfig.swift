import Foundation
import KKAccessToken
import KKMatch
import KKPhysics
import KKToken
import KKWire

/// A configuration problem: printed as is, exit code 2.
struct ConfigError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The validated settings of one kk-match process.
struct ServiceConfig {
    var httpHost: String
    var httpPort: Int
    var redisHost: String
    var redisPort: Int
    var tokenKey: TokenKey
    var staticRelays: [String]
    var tokenSeconds: UInt64
    var playersPerMatch: Int
    var track: String
    var keyPrefix: String
    var redisCluster: Bool
    /// The auth service's public keys (empty only with `devAuth`).
    var authPublicKeys: [AccessPublicKey]
    var devAuth: Bool
    /// OTLP/HTTP endpoint for traces (nil: $OTEL_EXPORTER_OTLP_ENDPOINT, else tracing off).
    var otlpEndpoint: String?

    /// Validates raw option text; every problem names the option and what is wanted.
    init(_ o: KKMatchCommand, environment: [String: String]) throws(ConfigError) {
        httpHost = try Self.host(o.httpHost, "--http-host")
        httpPort = try Self.port(o.httpPort, "--http-port", allowZero: true)
        redisHost = try Self.host(o.redisHost, "--redis-host")
        redisPort = try Self.port(o.redisPort, "--redis-port", allowZero: false)
        guard let keyText = o.tokenKey ?? environment["KK_TOKEN_KEY"], !keyText.isEmpty else {
            throw ConfigError("missing token key: pass --token-key HEX or set KK_TOKEN_KEY (64 hex characters, the relays' key)")
        }
        guard keyText.utf8.count == 64 else {
            throw ConfigError("token key must be 64 hex characters (32 bytes), got \(keyText.utf8.count)")
        }
        do { tokenKey = try TokenKey(hex: keyText) } catch { throw ConfigError("token key is not hexadecimal") }
        staticRelays = try o.relay.map { (r) throws(ConfigError) in
            guard let colon = r.lastIndex(of: ":"), !r[..<colon].isEmpty,
                  let p = Int(r[r.index(after: colon)...]), (1...65535).contains(p) else {
                throw ConfigError("bad --relay '\(r)': want host:port with port 1-65535")
            }
            return r
        }
        guard let secs = UInt64(o.tokenSeconds), (1...86_400).contains(secs) else {
            throw ConfigError("bad --token-seconds '\(o.tokenSeconds)': want 1-86400")
        }
        tokenSeconds = secs
        guard let ppm = Int(o.playersPerMatch), (1...Limits.maxPlayersPerMatch).contains(ppm) else {
            throw ConfigError("bad --players-per-match '\(o.playersPerMatch)': want 1-\(Limits.maxPlayersPerMatch)")
        }
        playersPerMatch = ppm
        guard TrackCatalog.names.contains(o.track) else {
            throw ConfigError("unknown --track '\(o.track)': want one of \(TrackCatalog.names.joined(separator: ", "))")
        }
        track = o.track
        guard o.keyPrefix.hasSuffix(":"), o.keyPrefix.count >= 2 else {
            throw ConfigError("bad --key-prefix '\(o.keyPrefix)': want a name ending with ':' (default kk:)")
        }
        keyPrefix = o.keyPrefix
        redisCluster = o.redisCluster
        devAuth = o.devAuth
        if let e = o.otlpEndpoint, !(e.hasPrefix("http://") || e.hasPrefix("https://")) {
            throw ConfigError("bad --otlp-endpoint '\(e)': want http(s)://host:port")
        }
        otlpEndpoint = o.otlpEndpoint
        let keyTexts = o.authPublicKey.isEmpty
            ? (environment["KK_AUTH_PUBLIC_KEY"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            : o.authPublicKey
        authPublicKeys = try keyTexts.map { (t) throws(ConfigError) in
            do throws(AccessKeyError) { return try AccessPublicKey(parsing: t) } catch { throw ConfigError("--auth-public-key: \(error)") }
        }
        if authPublicKeys.isEmpty && !devAuth {
            throw ConfigError("no way to authenticate players: pass --auth-public-key [kid:]HEX (or set KK_AUTH_PUBLIC_KEY) with the auth service's public key, or --dev-auth (anyone plays as anyone; load tests only)")
        }
        if !authPublicKeys.isEmpty && devAuth {
            throw ConfigError("--dev-auth and --auth-public-key exclude each other")
        }
    }

    private static func host(_ h: String, _ name: String) throws(ConfigError) -> String {
        guard !h.isEmpty, !h.contains(where: \.isWhitespace) else { throw ConfigError("bad \(name) '\(h)'") }
        return h
    }

    private static func port(_ text: String, _ name: String, allowZero: Bool) throws(ConfigError) -> Int {
        guard let p = Int(text), ((allowZero ? 0 : 1)...65535).contains(p) else {
            throw ConfigError("bad \(name) '\(text)': want \(allowZero ? 0 : 1)-65535")
        }
        return p
    }
}
