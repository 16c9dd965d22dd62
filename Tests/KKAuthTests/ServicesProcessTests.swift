import Foundation
import Glibc
import KKClientSDK
import KKTestSupport
import Testing

/// The built `kk-services` binary as a child process: ready once its migrations ran, serves the
/// auth routes beside the admin endpoints, stops on SIGTERM; bad configuration is refused.
@Suite(.serialized) struct ServicesProcessTests {
    let key = String(repeating: "5a", count: 32)

    @Test func readyAfterMigrationsServesAuthAndStopsOnSigterm() throws {
        let url = try PostgresTestServer.url()
        let dir = SystemTest.tempDir("kk-services")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = Int(SystemTest.freePort())
        let p = try ChildProcess(path: SystemTest.product("kk-services"),
                                 arguments: ["--http-port", "\(port)", "--services", "auth", "--log-level", "warning"],
                                 environment: ["KK_POSTGRES_URL": url, "KK_JWT_KEY": key], logPath: "\(dir)/log")
        defer { p.stop() }
        // An external process: poll /readyz (bounded, 20 s).
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: port, path: "/readyz")?.status == 200 },
                "\((try? String(contentsOfFile: "\(dir)/log", encoding: .utf8)) ?? "")")
        let login = SystemTest.http("POST", port: port, path: "/v1/auth/device", body: #"{"deviceId": "process-test-device"}"#)
        #expect(login?.status == 200 && login?.body.contains("accessToken") == true, "\(String(describing: login))")
        #expect(SystemTest.http(port: port, path: "/metrics")?.status == 200)
        // The heap gauges, as every process publishes them (the status publisher's first round).
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: port, path: "/metrics").flatMap { SystemTest.metric($0.body, "kk_process_heap_bytes") }.map { $0 > 0 } == true
        })
        #expect(SystemTest.http(port: port, path: "/status")?.body.contains("kk-services") == true)
        p.signal(SIGTERM)
        let exit = p.wait(seconds: 15)
        #expect(exit.map { ($0 >> 8) & 0xff } == 0)
    }

    /// The SDK's auth client against the real service: device login, refresh before expiry,
    /// rotation, email credentials, log out everywhere, and the session kept in a 0600 file.
    @Test func sdkAuthClientLogsInRefreshesAndKeepsTheSessionPrivate() throws {
        let url = try PostgresTestServer.url()
        let dir = SystemTest.tempDir("kk-services-sdk")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = Int(SystemTest.freePort())
        let p = try ChildProcess(path: SystemTest.product("kk-services"),
                                 arguments: ["--http-port", "\(port)", "--services", "auth", "--log-level", "warning",
                                             "--access-token-seconds", "300"],
                                 environment: ["KK_POSTGRES_URL": url, "KK_JWT_KEY": key], logPath: "\(dir)/log")
        defer { p.stop() }
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: port, path: "/readyz")?.status == 200 })
        let auth = AuthClient(baseURL: "http://127.0.0.1:\(port)")
        let n = UInt64.random(in: 0...UInt64.max)
        let s = try auth.loginDevice(deviceId: "sdk-\(n)", now: 1_000)
        #expect(s.accessExpiresAt == 1_300 && !s.description.contains(s.accessToken) && !s.description.contains(s.refreshToken))
        #expect(try auth.validSession(s, now: 1_200) == s, "more than a minute left: kept")
        let refreshed = try auth.validSession(s, now: 1_250)
        #expect(refreshed.accountId == s.accountId && refreshed.refreshToken != s.refreshToken)
        // Email credentials, then a login elsewhere; a wrong password is a typed refusal.
        let email = "sdk-\(n)@example.com"
        try auth.registerEmail(refreshed, email: email, password: "sdk secret 123")
        // The rotated-away refresh token is refused, and its reuse ends the session (theft).
        #expect(throws: AuthClientError.refused(status: 401, code: "refresh_refused")) { try auth.refresh(s) }
        #expect(throws: AuthClientError.refused(status: 401, code: "refresh_refused")) { try auth.refresh(refreshed) }
        #expect(try auth.loginEmail(email: email, password: "sdk secret 123").accountId == s.accountId)
        #expect(throws: AuthClientError.refused(status: 401, code: "unauthorized")) { try auth.loginEmail(email: email, password: "not it at all") }
        // Secure preferences: 0600, the same device id every time, a stored session reused.
        let prefs = SecurePreferences(path: "\(dir)/cfg/session.json")
        let stored = try prefs.session(using: auth)
        var st = stat()
        #expect(stat(prefs.path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try prefs.deviceId() == prefs.deviceId())
        #expect(try prefs.session(using: auth) == stored, "the stored session is still good")
        // Log out everywhere: the access token lives on until it expires (verified offline), but
        // the refresh near its expiry is refused, so a fresh device login replaces the session.
        try auth.logoutEverywhere(stored)
        let again = try prefs.session(using: auth, now: Int64(time(nil)) + 290)
        #expect(again.accountId == stored.accountId && again.refreshToken != stored.refreshToken)
        chmod(prefs.path, 0o644)
        #expect(throws: AuthClientError.self) { try prefs.load() }
        // Unreachable service: a typed error, no hang.
        #expect(throws: AuthClientError.self) { try AuthClient(baseURL: "http://127.0.0.1:1", timeoutMillis: 500).loginDevice(deviceId: "x-\(n)-y") }
        // The public key kk-match is configured with.
        let keyDir = SystemTest.tempDir("kk-services-key")
        defer { try? FileManager.default.removeItem(atPath: keyDir) }
        let k = try ChildProcess(path: SystemTest.product("kk-services"), arguments: ["--print-public-key"],
                                 environment: ["KK_JWT_KEY": key], logPath: "\(keyDir)/log")
        #expect(k.wait(seconds: 10).map { ($0 >> 8) & 0xff } == 0)
        let printed = ((try? String(contentsOfFile: "\(keyDir)/log", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.hasPrefix("auth-1:") && printed.utf8.count == 7 + 64, "\(printed)")
    }

    /// No database: not ready, and /readyz says why (the process keeps waiting for it).
    @Test func readinessSaysWhyWhileTheDatabaseIsDown() throws {
        let dir = SystemTest.tempDir("kk-services-down")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = Int(SystemTest.freePort())
        let p = try ChildProcess(path: SystemTest.product("kk-services"),
                                 arguments: ["--http-port", "\(port)", "--log-level", "warning"],
                                 environment: ["KK_POSTGRES_URL": "postgres://kk:x@127.0.0.1:1/kk", "KK_JWT_KEY": key], logPath: "\(dir)/log")
        defer { p.stop() }
        #expect(SystemTest.eventually(seconds: 20) {
            guard let r = SystemTest.http(port: port, path: "/readyz") else { return false }
            return r.status == 503 && r.body.contains("postgres:")
        }, "\(String(describing: SystemTest.http(port: port, path: "/readyz")))")
        #expect(SystemTest.http(port: port, path: "/healthz")?.status == 200, "alive, just not ready")
        // Requests wait at most the store's deadline (3 s), then get a 503 with the reason.
        let (status, body) = try BlockingHTTP.request("POST", url: "http://127.0.0.1:\(port)/v1/auth/device",
                                                      body: Array(#"{"deviceId": "down-device-2"}"#.utf8), timeoutMillis: 10_000)
        #expect(status == 503 && String(decoding: body, as: UTF8.self).contains("store_unavailable"))
    }

    /// Compiles Tests/CAPI/account.c against libKartKlashClient.so and runs it against a real
    /// kk-services: the accounts and friends part of the C ABI.
    @Test func cProgramUsesAccountsAndFriendsThroughTheCABI() throws {
        let url = try PostgresTestServer.url()
        let dir = SystemTest.tempDir("kk-capi-account")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = "\(dir)/capi-account"
        let failure = try SystemTest.compileCProgram("account.c", to: exe, logDir: dir)
        try #require(failure == nil, "\(failure ?? "")")
        let port = Int(SystemTest.freePort())
        let p = try ChildProcess(path: SystemTest.product("kk-services"), arguments: ["--http-port", "\(port)", "--log-level", "warning"],
                                 environment: ["KK_POSTGRES_URL": url, "KK_JWT_KEY": key], logPath: "\(dir)/log")
        defer { p.stop() }
        #expect(SystemTest.eventually(seconds: 20) { SystemTest.http(port: port, path: "/readyz")?.status == 200 })
        let run = try ChildProcess(path: exe, arguments: ["http://127.0.0.1:\(port)", "\(dir)/prefs"], logPath: "\(dir)/capi.log")
        let status = run.wait(seconds: 60)
        if status == nil { run.stop() }
        let out = (try? String(contentsOfFile: "\(dir)/capi.log", encoding: .utf8)) ?? ""
        #expect(status == 0 && out.contains("ALL OK"), "\(out)")
        var st = stat()
        #expect(stat("\(dir)/prefs/b/session.json", &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    @Test func badConfigurationIsRefusedWithAMessage() throws {
        let cases: [([String], [String: String], String)] = [
            (["--services", "chat"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "unknown service"),
            (["--services", "voice"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "needs --redis-port"),
            (["--services", "voice", "--redis-port", "1"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "--voice-turn-url"),
            (["--services", "voice", "--redis-port", "1", "--voice-turn-url", "http://x"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key],
             "want turn:"),
            (["--services", "voice", "--redis-port", "1", "--voice-turn-url", "turn:127.0.0.1:3478", "--voice-hysteresis=-1"],
             ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "proximity model"),
            (["--services", "assets"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "--assets-store"),
            (["--services", "assets", "--assets-store", "http://127.0.0.1:1", "--assets-cdn-url", "http://127.0.0.1:2", "--assets-public-key", "k1:abcd"],
             ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "--assets-public-key"),
            (["--services", "lobby"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "needs --redis-port"),
            (["--services", "lobby", "--redis-port", "1", "--tracks", "moon"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key],
             "unknown track"),
            (["--services", "lobby", "--redis-port", "1", "--relay-secret", "short"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key],
             "at least 16"),
            ([], ["KK_POSTGRES_URL": "", "KK_JWT_KEY": key], "PostgreSQL URL"),  // (.ci/run exports one)
            ([], ["KK_POSTGRES_URL": "mysql://x@y/z", "KK_JWT_KEY": key], "bad PostgreSQL URL"),
            ([], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": "abcd"], "signing key"),
            (["--previous-public-key", "old:1234"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "--previous-public-key"),
        ]
        for (args, env, expected) in cases {
            let dir = SystemTest.tempDir("kk-services-bad")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let p = try ChildProcess(path: SystemTest.product("kk-services"), arguments: args, environment: env, logPath: "\(dir)/log")
            let status = p.wait(seconds: 10)
            let out = (try? String(contentsOfFile: "\(dir)/log", encoding: .utf8)) ?? ""
            #expect(status.map { ($0 >> 8) & 0xff } == 64, "\(args) \(env): exit \(String(describing: status))")
            #expect(out.contains(expected), "\(args): \(out)")
        }
    }
}
