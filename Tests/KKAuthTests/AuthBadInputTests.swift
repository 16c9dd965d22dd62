import Foundation
import Hummingbird
import HummingbirdTesting
import KKAdmin
import KKAuth
import KKPostgres
import Logging
import NIOCore
import PostgresNIO
import Testing

/// The issue's bad input: races, SQL metacharacters, oversize bodies, a database that is down.
/// Each is a clear 4xx/503 with a stable code, never a 500 and never a partial write.
@Suite(.serialized) struct AuthBadInputTests {
    let logger = Logger(label: "auth-bad-input-test")

    func service(_ client: PostgresClient, deadline: Duration = .seconds(3)) async throws -> some ApplicationProtocol {
        let service = AuthService(store: AuthStore(client: client, logger: logger, deadline: deadline),
                                  tokens: try await AuthTokens(seed: (0..<32).map { UInt8($0) }))
        let router = Router(context: ServiceRequestContext.self)
        service.addRoutes(to: router)
        return Application(router: router)
    }

    func count(_ client: PostgresClient, _ sql: String, _ bind: String) async throws -> Int {
        var n = -1
        for try await c in try await client.query("SELECT count(*)::int FROM \(unescaped: sql) = \(bind)", logger: logger).decode(Int.self) { n = c }
        return n
    }

    @Test func racingSignupsAndFirstLoginsHaveExactlyOneWinner() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
            let n = UInt64.random(in: 0...UInt64.max)
            try await service(client).test(.router) { http in
                // Eight first logins of one new device at once: one account.
                let accounts = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for _ in 0..<8 { group.addTask { try await login(http, "race-device-\(n)").accountId } }
                    return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
                }
                #expect(accounts.count == 1)
                #expect(try await count(client, "auth.devices WHERE device_id", "race-device-\(n)") == 1)
                // Eight accounts register one email at once: exactly one wins, the others get 409.
                var sessions: [AuthService.TokenPair] = []
                for i in 0..<8 { sessions.append(try await login(http, "racer-\(i)-\(n)")) }
                let email = "race-\(n)@example.com"
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for s in sessions {
                        group.addTask {
                            try await post(http, "/v1/auth/email/register", #"{"email": "\#(email)", "password": "race secret 42"}"#,
                                           bearer: s.accessToken).0
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 1 && statuses.filter { $0 == .conflict }.count == 7, "\(statuses)")
                #expect(try await count(client, "auth.credentials WHERE lower(email)", email) == 1)
            }
        }
    }

    @Test func sqlMetacharactersAreDataAndOversizeBodiesAreRefused() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
            let n = UInt64.random(in: 0...UInt64.max)
            try await service(client).test(.router) { http in
                let s = try await login(http, "meta-\(n)")
                // JSON-escaped: o'brien";DROP-TABLE-auth.credentials--<n>@example.com
                let email = #"o'brien\";DROP-TABLE-auth.credentials--\#(n)@example.com"#
                let password = #"'; DELETE FROM auth.sessions; --\\ \u0000x"#
                let creds = #"{"email": "\#(email)", "password": "\#(password)"}"#
                #expect(try await post(http, "/v1/auth/email/register", creds, bearer: s.accessToken).0 == .created)
                let (st, body) = try await post(http, "/v1/auth/email/login", creds)
                #expect(st == .ok, "\(String(decoding: body, as: UTF8.self))")
                #expect(try JSONDecoder().decode(AuthService.TokenPair.self, from: body).accountId == s.accountId)
                #expect(try await get(http, "/v1/auth/me", bearer: s.accessToken).0 == .ok, "no session was deleted")
                // Oversize and malformed bodies: 400 with a reason, nothing written.
                let big = "{\"deviceId\": \"" + String(repeating: "a", count: AuthService.maxBodyBytes) + "\"}"
                let (s1, b1) = try await post(http, "/v1/auth/device", big)
                #expect(s1 == .badRequest && String(decoding: b1, as: UTF8.self).contains("larger than"))
                for bad in ["", "[]", "{\"deviceId\": 7}", "{\"deviceId\": null}", "\u{0}\u{1}"] {
                    #expect(try await post(http, "/v1/auth/device", bad).0 == .badRequest, "\(bad)")
                }
                #expect(try await post(http, "/v1/auth/email/login", #"{"email": "a@b", "password": "\#(String(repeating: "p", count: 129))"}"#).0
                        == .badRequest)
            }
        }
    }

    /// PostgreSQL unreachable: 503 with the reason within the store's deadline, not a hang.
    @Test func databaseDownIs503WithAReason() async throws {
        let settings = try PostgresSettings(url: "postgres://kk:none@127.0.0.1:1/kk")
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await service(client, deadline: .milliseconds(300)).test(.router) { http in
                let (status, body) = try await post(http, "/v1/auth/device", #"{"deviceId": "down-device-1"}"#)
                #expect(status == .serviceUnavailable)
                #expect(String(decoding: body, as: UTF8.self).contains("store_unavailable"))
            }
        }
    }
}
