import Foundation
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
        #expect(SystemTest.http(port: port, path: "/status")?.body.contains("kk-services") == true)
        p.signal(SIGTERM)
        let exit = p.wait(seconds: 15)
        #expect(exit.map { ($0 >> 8) & 0xff } == 0)
    }

    @Test func badConfigurationIsRefusedWithAMessage() throws {
        let cases: [([String], [String: String], String)] = [
            (["--services", "lobby"], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": key], "unknown service"),
            ([], ["KK_POSTGRES_URL": "", "KK_JWT_KEY": key], "PostgreSQL URL"),  // (.ci/run exports one)
            ([], ["KK_POSTGRES_URL": "mysql://x@y/z", "KK_JWT_KEY": key], "bad PostgreSQL URL"),
            ([], ["KK_POSTGRES_URL": "postgres://kk@127.0.0.1:1/kk", "KK_JWT_KEY": "abcd"], "signing key"),
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
