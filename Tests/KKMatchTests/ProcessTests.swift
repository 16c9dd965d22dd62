import Foundation
import KKAccessToken
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KKMatch
import KKTestSupport
import KKToken
import Testing

/// The built `kk-match` binary as a child process.
@Suite struct ProcessTests {
    static func binary() throws -> String {
        var candidates: [String] = []
        if let first = CommandLine.arguments.first {
            var dir = URL(fileURLWithPath: first).deletingLastPathComponent()
            while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
            candidates.append(dir.appendingPathComponent("kk-match").path)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates += ["debug", "release"].map { root.appendingPathComponent(".build/\($0)/kk-match").path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChildProcess.SpawnError.failed(errno: ENOENT, path: candidates.joined(separator: ", "))
        }
        return found
    }

    private static func runToExit(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let log = NSTemporaryDirectory() + "kk-match-\(UInt64.random(in: 0...UInt64.max)).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let p = try ChildProcess(path: try binary(), arguments: args, environment: env, logPath: log)
        let status = p.wait(seconds: 10) ?? -1
        let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return ((status >> 8) & 0xff, out)
    }

    @Test func badConfigurationExits2WithAMessage() throws {
        let key = String(repeating: "ab", count: 32)
        let cases: [([String], [String: String], String)] = [
            ([], ["KK_TOKEN_KEY": ""], "missing token key"),
            (["--token-key", key], ["KK_AUTH_PUBLIC_KEY": ""], "no way to authenticate players"),
            (["--token-key", key, "--auth-public-key", "auth-1:abcd"], [:], "--auth-public-key"),
            (["--token-key", key, "--dev-auth", "--auth-public-key", String(repeating: "ab", count: 32)], [:], "exclude each other"),
            (["--token-key", "abcd"], [:], "64 hex characters"),
            (["--token-key", String(repeating: "zz", count: 32)], [:], "not hexadecimal"),
            (["--token-key", key, "--http-port", "70000"], [:], "--http-port"),
            (["--token-key", key, "--redis-port", "x"], [:], "--redis-port"),
            (["--token-key", key, "--relay", "nohost"], [:], "--relay"),
            (["--token-key", key, "--players-per-match", "0"], [:], "--players-per-match"),
            (["--token-key", key, "--nope"], [:], "Unknown option"),
        ]
        for (args, env, expected) in cases {
            let (code, out) = try Self.runToExit(args, env: env)
            #expect(code == 2, "\(args)")
            #expect(out.contains(expected), "\(args): \(out)")
        }
    }

    /// Starts kk-match on the test redis, waits for /readyz, gets a token, stops it with SIGTERM.
    @Test func servesMatchAndAdminOnOnePortAndStopsOnSigterm() async throws {
        let fx = try Fixture()
        defer { fx.cleanup() }
        fx.addShard("p1")
        let key = try TokenKey.random()
        let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0) }, keyId: "auth-7")
        let publicKey = "auth-7:" + signer.publicKey.raw.map { String(format: "%02x", $0) }.joined()
        let access = try await signer.sign(AccessClaims(account: 777, session: UUID(), issuedAt: Date(), lifetimeSeconds: 60))
        let log = NSTemporaryDirectory() + "kk-match-run-\(UInt64.random(in: 0...UInt64.max)).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let p = try ChildProcess(path: try Self.binary(),
                                 arguments: ["--http-port", "0", "--redis-port", "\(fx.port)", "--key-prefix", fx.keys.prefix,
                                             "--relay", "192.0.2.9:7000", "--token-seconds", "45"],
                                 environment: ["KK_TOKEN_KEY": key.hex, "KK_AUTH_PUBLIC_KEY": publicKey], logPath: log)
        defer { p.stop() }
        // An external process: no event to await, so poll its log for the bound port, then
        // /readyz (bounded, 10 s).
        var port = 0
        var ready = false
        for _ in 0..<500 where !ready {
            if port == 0, let text = try? String(contentsOfFile: log, encoding: .utf8),
               let r = text.range(of: "listening on http://127.0.0.1:") {
                port = Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            if port != 0, let (_, status) = try? await Self.http("GET", "http://127.0.0.1:\(port)/readyz"), status == 200 {
                ready = true
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let base = "http://127.0.0.1:\(port)"
        #expect(ready, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        #expect(try await Self.http("POST", base + "/v1/match", body: #"{"player": "erin"}"#).1 == 401, "no account, no match")
        let (body, status) = try await Self.http("POST", base + "/v1/match", body: #"{"player": "erin"}"#, bearer: access)
        #expect(status == 200)
        let res = try JSONDecoder().decode(MatchResponse.self, from: body)
        #expect(res.shardId == "p1" && res.token.relays == ["192.0.2.9:7000"] && res.token.playerId == 777)
        #expect(res.token.expireTime - res.token.createTime == 45)
        _ = try TokenValidator(keys: [key]).validate(text: res.token.sealed, now: UInt64(Date().timeIntervalSince1970))
        let (metrics, _) = try await Self.http("GET", base + "/metrics")
        #expect(String(decoding: metrics, as: UTF8.self).contains(#"kk_match_requests_total{result="ok"} 1"#))
        // The heap gauges, as every process publishes them (the status publisher's first round).
        #expect(SystemTest.eventually(seconds: 5) {
            SystemTest.http(port: port, path: "/metrics").flatMap { SystemTest.metric($0.body, "kk_process_heap_bytes") }.map { $0 > 0 } == true
        })
        #expect(try await Self.http("GET", base + "/healthz").1 == 200)
        p.signal(SIGTERM)
        let exit = p.wait(seconds: 10)
        #expect(exit.map { ($0 >> 8) & 0xff } == 0)
    }

    static func http(_ method: String, _ url: String, body: String? = nil, bearer: String? = nil) async throws -> (Data, Int) {
        var req = URLRequest(url: URL(string: url)!)
        if let bearer { req.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        req.httpMethod = method
        req.timeoutInterval = 5
        if let body { req.httpBody = Data(body.utf8); req.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: req)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }
}
