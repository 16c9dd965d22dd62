import Foundation
import Hummingbird
import HummingbirdTesting
import KKAdmin
import KKAuth
import KKPostgres
import KKSocial
import KKTestSupport
import Logging
import NIOCore
import PostgresNIO
import Testing

/// The auth service against a real PostgreSQL 15 (started by .ci/run, or by the test itself).
@Suite(.serialized) struct AuthServiceTests {
    let logger = Logger(label: "auth-test")

    @Test func migrationsApplyFromAnEmptyDatabaseOnceAndOnlyOnce() async throws {
        try await withDatabase(logger: logger) { client in
            // The auth migrations into a schema of this test's own (other suites share `auth`),
            // from empty: all of them once, then nothing.
            let schema = "auth_mt_\(UInt32.random(in: 0...UInt32.max))"
            let mine = AuthMigrations.all.map {
                Migration(version: $0.version, name: $0.name, sql: $0.sql.replacingOccurrences(of: "auth.", with: "\(schema)."))
            }
            let set = try MigrationSet(schema: schema, migrations: mine)
            defer { Task { [client, logger] in try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger) } }
            #expect(try await MigrationRunner.apply(set, on: client, logger: logger) == AuthMigrations.all.map(\.version))
            #expect(try await MigrationRunner.apply(set, on: client, logger: logger) == [])
            var accounts = -1
            for try await n in try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \(schema).accounts"),
                                                      logger: logger).decode(Int.self) {
                accounts = n
            }
            #expect(accounts == 0)
            // A broken migration rolls back whole and names itself.
            let next = mine.count + 1
            let broken = try MigrationSet(schema: schema, migrations: mine + [
                Migration(version: next, name: "broken", sql: "CREATE TABLE \(schema).good (id int);\nCREATE TABLE nonsense (;\n"),
            ])
            await #expect(throws: PostgresStoreError.self) { try await MigrationRunner.apply(broken, on: client, logger: logger) }
            var good = -1
            for try await n in try await client.query(
                "SELECT count(*)::int FROM information_schema.tables WHERE table_schema = \(schema) AND table_name = 'good'",
                logger: logger).decode(Int.self) { good = n }
            #expect(good == 0, "the failed migration left nothing behind")
        }
        // The social schema's migrations, the same way, from empty.
        try await withDatabase(logger: logger) { client in
            let schema = "social_mt_\(UInt32.random(in: 0...UInt32.max))"
            let mine = SocialMigrations.all.map {
                Migration(version: $0.version, name: $0.name, sql: $0.sql.replacingOccurrences(of: "social.", with: "\(schema)."))
            }
            let set = try MigrationSet(schema: schema, migrations: mine)
            defer { Task { [client, logger] in try? await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger) } }
            #expect(try await MigrationRunner.apply(set, on: client, logger: logger) == SocialMigrations.all.map(\.version))
            #expect(try await MigrationRunner.apply(set, on: client, logger: logger) == [])
        }
        #expect(throws: PostgresStoreError.self) { try MigrationSet(schema: "auth", migrations: [Migration(version: 2, name: "gap", sql: "")]) }
        #expect(throws: PostgresStoreError.self) { try PostgresSettings(url: "mysql://x@y/z") }
    }

    @Test func deviceLoginRefreshRotationReuseAndLogout() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
            let seed = (0..<32).map { UInt8($0) }
            let service = AuthService(store: AuthStore(client: client, logger: logger), tokens: try await AuthTokens(seed: seed))
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            let app = Application(router: router)
            let device = "device-\(UInt64.random(in: 0...UInt64.max))"
            try await app.test(.router) { http in
                func me(_ token: String) async throws -> HTTPResponse.Status {
                    try await http.execute(uri: "/v1/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
                }
                let (s1, b1) = try await post(http, "/v1/auth/device", #"{"deviceId": "\#(device)"}"#)
                #expect(s1 == .ok)
                let first = try JSONDecoder().decode(AuthService.TokenPair.self, from: b1)
                // The same device is the same account, in a new session.
                let (_, b2) = try await post(http, "/v1/auth/device", #"{"deviceId": "\#(device)"}"#)
                let second = try JSONDecoder().decode(AuthService.TokenPair.self, from: b2)
                #expect(second.accountId == first.accountId && second.refreshToken != first.refreshToken)
                #expect(try await me(first.accessToken) == .ok)
                // A tampered token and no token are refused.
                var tampered = Array(first.accessToken.utf8)
                tampered[tampered.count - 3] = tampered[tampered.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                #expect(try await me(String(decoding: tampered, as: UTF8.self)) == .unauthorized)
                // Refresh rotates: the new pair works, the old refresh token is dead, and using it
                // again revokes the session (someone kept a copy), so the new one dies too.
                let (s3, b3) = try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(first.refreshToken)"}"#)
                #expect(s3 == .ok)
                let rotated = try JSONDecoder().decode(AuthService.TokenPair.self, from: b3)
                #expect(rotated.accountId == first.accountId && rotated.refreshToken != first.refreshToken)
                let (s4, _) = try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(first.refreshToken)"}"#)
                #expect(s4 == .unauthorized)
                let (s5, _) = try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(rotated.refreshToken)"}"#)
                #expect(s5 == .unauthorized, "reuse revoked the session")
                #expect(try await me(rotated.accessToken) == .unauthorized)
                // Logout revokes the other session; its refresh token dies with it.
                let (s6, _) = try await post(http, "/v1/auth/logout", "", bearer: second.accessToken)
                #expect(s6 == .noContent)
                #expect(try await me(second.accessToken) == .unauthorized)
                let (s7, _) = try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(second.refreshToken)"}"#)
                #expect(s7 == .unauthorized)
                // Bad input is a 400 with a reason, never a crash.
                let (s8, b8) = try await post(http, "/v1/auth/device", #"{"deviceId": "short"}"#)
                #expect(s8 == .badRequest && String(decoding: b8, as: UTF8.self).contains("bad_request"))
                let (s9, _) = try await post(http, "/v1/auth/device", "not json")
                #expect(s9 == .badRequest)
                let (s10, _) = try await post(http, "/v1/auth/refresh", #"{"refreshToken": "garbage"}"#)
                #expect(s10 == .unauthorized)
            }
        }
    }
}

/// Email + password: scrypt hashes, linking to a device's account, login from elsewhere.
@Suite(.serialized) struct EmailCredentialTests {
    let logger = Logger(label: "auth-email-test")

    @Test func hashesAreSaltedAndVerifiedInConstantTime() {
        let h = PasswordHasher()
        let a = h.hash("correct horse battery")!, b = h.hash("correct horse battery")!
        #expect(a.salt != b.salt && a.hash != b.hash, "a salt per hash")
        #expect(PasswordHasher.verify("correct horse battery", against: a))
        #expect(!PasswordHasher.verify("correct horse batterY", against: a))
        #expect(!PasswordHasher.verify("", against: a))
        var bad = a
        bad.params = "scrypt$99$8$1"
        #expect(!PasswordHasher.verify("correct horse battery", against: bad), "absurd parameters are refused, not run")
    }

    @Test func registerOnADeviceAccountThenLogInByEmail() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
            let service = AuthService(store: AuthStore(client: client, logger: logger),
                                      tokens: try await AuthTokens(seed: (0..<32).map { UInt8($0) }))
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            let app = Application(router: router)
            let n = UInt64.random(in: 0...UInt64.max)
            let email = "racer-\(n)@example.com"
            try await app.test(.router) { http in
                let (_, b1) = try await post(http, "/v1/auth/device", #"{"deviceId": "phone-\#(n)"}"#)
                let phone = try JSONDecoder().decode(AuthService.TokenPair.self, from: b1)
                let creds = #"{"email": "\#(email)", "password": "a long secret 42"}"#
                #expect(try await post(http, "/v1/auth/email/register", creds).0 == .unauthorized, "needs a session")
                #expect(try await post(http, "/v1/auth/email/register", creds, bearer: phone.accessToken).0 == .created)
                // From another machine: the same account, by email (any case).
                let upper = #"{"email": "\#(email.uppercased())", "password": "a long secret 42"}"#
                let (s2, b2) = try await post(http, "/v1/auth/email/login", upper)
                #expect(s2 == .ok)
                #expect(try JSONDecoder().decode(AuthService.TokenPair.self, from: b2).accountId == phone.accountId)
                #expect(try await post(http, "/v1/auth/email/login", #"{"email": "\#(email)", "password": "a long secret 43"}"#).0 == .unauthorized)
                #expect(try await post(http, "/v1/auth/email/login", #"{"email": "nobody-\#(n)@example.com", "password": "a long secret 42"}"#).0
                        == .unauthorized)
                // Five failures in the window (the one above and four more) lock the email: 429
                // even for the right password.
                for _ in 0..<4 {
                    #expect(try await post(http, "/v1/auth/email/login", #"{"email": "\#(email)", "password": "wrong password!"}"#).0
                            == .unauthorized)
                }
                let (s429, b429) = try await post(http, "/v1/auth/email/login", creds)
                #expect(s429 == .tooManyRequests && String(decoding: b429, as: UTF8.self).contains("too_many_attempts"))
                // Guesses sent in parallel cannot all read the old count: at most 5 per window get
                // a password check, whatever the concurrency.
                let other = "burst-\(n)@example.com"
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<10 {
                        group.addTask { try await post(http, "/v1/auth/email/login", #"{"email": "\#(other)", "password": "guess guess 1"}"#).0 }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .unauthorized }.count == 5 && statuses.filter { $0 == .tooManyRequests }.count == 5,
                        "\(statuses)")
                // The email is taken for another account; bad input is a 400.
                let (_, b3) = try await post(http, "/v1/auth/device", #"{"deviceId": "tablet-\#(n)"}"#)
                let tablet = try JSONDecoder().decode(AuthService.TokenPair.self, from: b3)
                #expect(try await post(http, "/v1/auth/email/register", creds, bearer: tablet.accessToken).0 == .conflict)
                #expect(try await post(http, "/v1/auth/email/register", #"{"email": "x", "password": "a long secret 42"}"#,
                                       bearer: tablet.accessToken).0 == .badRequest)
                #expect(try await post(http, "/v1/auth/email/register", #"{"email": "t-\#(n)@example.com", "password": "short"}"#,
                                       bearer: tablet.accessToken).0 == .badRequest)
            }
        }
    }
}

/// POSTs JSON (with an optional bearer token) through the in-process test client.
func post(_ http: some TestClientProtocol, _ uri: String, _ json: String, bearer: String? = nil) async throws -> (HTTPResponse.Status, Data) {
    var headers: HTTPFields = [.contentType: "application/json"]
    if let bearer { headers[.authorization] = "Bearer \(bearer)" }
    return try await http.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) {
        ($0.status, Data($0.body.readableBytesView))
    }
}

/// Runs `body` with a running client of the test database.
func withDatabase(logger: Logger, _ body: (PostgresClient) async throws -> Void) async throws {
    let settings = try PostgresSettings(url: try PostgresTestServer.url())
    let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}
