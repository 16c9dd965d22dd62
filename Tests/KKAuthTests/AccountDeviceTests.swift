import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKAdmin
import KKAuth
import KKPostgres
import KKToken
import Logging
import NIOCore
import PostgresNIO
import Testing

/// Log out everywhere, devices linked and unlinked, the per-address login limit, and the public
/// keys other services verify access tokens with (real PostgreSQL).
@Suite(.serialized) struct AccountDeviceTests {
    let logger = Logger(label: "auth-device-test")

    func app(_ client: PostgresClient, config: AuthConfig = AuthConfig()) async throws -> some ApplicationProtocol {
        try await MigrationRunner.apply(try AuthMigrations.set(), on: client, logger: logger)
        let service = AuthService(store: AuthStore(client: client, logger: logger),
                                  tokens: try await AuthTokens(seed: (0..<32).map { UInt8($0) }), config: config)
        let router = Router(context: ServiceRequestContext.self)
        service.addRoutes(to: router)
        return Application(router: router)
    }

    @Test func logoutEverywhereRevokesEverySessionOfTheAccount() async throws {
        try await withDatabase(logger: logger) { client in
            let n = UInt64.random(in: 0...UInt64.max)
            try await app(client).test(.router) { http in
                let a = try await login(http, "laptop-\(n)")
                // A second session of the same account (the same device, logged in again).
                let b = try await login(http, "laptop-\(n)")
                let other = try await login(http, "other-\(n)")
                #expect(a.accountId == b.accountId && other.accountId != a.accountId)
                #expect(try await post(http, "/v1/auth/logout-all", "", bearer: a.accessToken).0 == .noContent)
                for s in [a, b] {
                    #expect(try await get(http, "/v1/auth/me", bearer: s.accessToken).0 == .unauthorized)
                    #expect(try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(s.refreshToken)"}"#).0 == .unauthorized)
                }
                #expect(try await get(http, "/v1/auth/me", bearer: other.accessToken).0 == .ok, "other accounts keep theirs")
                #expect(try await post(http, "/v1/auth/logout-all", "").0 == .unauthorized)
                // A revoked session's access token (still signed and unexpired) can change nothing:
                // no email takeover, no logging the owner out again.
                #expect(try await post(http, "/v1/auth/email/register", #"{"email": "late-\#(n)@example.com", "password": "a long secret 42"}"#,
                                       bearer: a.accessToken).0 == .unauthorized)
                #expect(try await post(http, "/v1/auth/logout-all", "", bearer: b.accessToken).0 == .unauthorized)
            }
        }
    }

    @Test func devicesLinkToAnEmailAccountAndUnlinkButNeverTheLastWayIn() async throws {
        try await withDatabase(logger: logger) { client in
            let n = UInt64.random(in: 0...UInt64.max)
            try await app(client).test(.router) { http in
                // The main account: a phone, then email credentials.
                let phone = try await login(http, "phone-\(n)")
                let creds = #"{"email": "link-\#(n)@example.com", "password": "a long secret 42"}"#
                // The phone is the only way in: it cannot be unlinked yet.
                let (s0, b0) = try await post(http, "/v1/auth/devices/unlink", #"{"deviceId": "phone-\#(n)"}"#, bearer: phone.accessToken)
                #expect(s0 == .conflict && String(decoding: b0, as: UTF8.self).contains("last way in"))
                #expect(try await post(http, "/v1/auth/email/register", creds, bearer: phone.accessToken).0 == .created)
                // A console played anonymously, then is linked: its next login is the main account,
                // and its anonymous account's sessions end.
                let console = try await login(http, "console-\(n)")
                #expect(console.accountId != phone.accountId)
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "console-\#(n)"}"#, bearer: phone.accessToken).0
                        == .created)
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "console-\#(n)"}"#, bearer: phone.accessToken).0
                        == .noContent, "linking twice changes nothing")
                #expect(try await get(http, "/v1/auth/me", bearer: console.accessToken).0 == .unauthorized)
                #expect(try await login(http, "console-\(n)").accountId == phone.accountId)
                let (s1, b1) = try await get(http, "/v1/auth/devices", bearer: phone.accessToken)
                #expect(s1 == .ok)
                #expect(String(decoding: b1, as: UTF8.self).contains("console-\(n)") && String(decoding: b1, as: UTF8.self).contains("phone-\(n)"))
                // A device of another real account is not taken over.
                let tablet = try await login(http, "tablet-\(n)")
                #expect(try await post(http, "/v1/auth/email/register", #"{"email": "tab-\#(n)@example.com", "password": "another secret 7"}"#,
                                       bearer: tablet.accessToken).0 == .created)
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "tablet-\#(n)"}"#, bearer: phone.accessToken).0
                        == .conflict)
                // Unlink: the console's next login is a new anonymous account; unlinking what is not
                // ours is a 404; bad ids are a 400; no token is a 401.
                let consoleSession = try await login(http, "console-\(n)")  // a session of the phone's account, from the console
                #expect(try await post(http, "/v1/auth/devices/unlink", #"{"deviceId": "console-\#(n)"}"#, bearer: phone.accessToken).0
                        == .noContent)
                // The unlinked device's sessions end with it; the phone's do not.
                #expect(try await get(http, "/v1/auth/me", bearer: consoleSession.accessToken).0 == .unauthorized)
                #expect(try await post(http, "/v1/auth/refresh", #"{"refreshToken": "\#(consoleSession.refreshToken)"}"#).0 == .unauthorized)
                #expect(try await get(http, "/v1/auth/me", bearer: phone.accessToken).0 == .ok)
                let fresh = try await login(http, "console-\(n)")
                #expect(fresh.accountId != phone.accountId && fresh.accountId != console.accountId)
                #expect(try await post(http, "/v1/auth/devices/unlink", #"{"deviceId": "tablet-\#(n)"}"#, bearer: phone.accessToken).0
                        == .notFound)
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "x'; DROP TABLE auth.devices;--"}"#,
                                       bearer: phone.accessToken).0 == .badRequest)
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "console-\#(n)"}"#).0 == .unauthorized)
            }
        }
    }

    /// Two devices of an account without email, unlinked at the same moment: one goes, the
    /// other stays (the account always keeps a way in).
    @Test func racingUnlinksNeverLockTheAccountOut() async throws {
        try await withDatabase(logger: logger) { client in
            let n = UInt64.random(in: 0...UInt64.max)
            try await app(client).test(.router) { http in
                let one = try await login(http, "one-\(n)")
                #expect(try await post(http, "/v1/auth/devices/link", #"{"deviceId": "two-\#(n)"}"#, bearer: one.accessToken).0 == .created)
                async let x = post(http, "/v1/auth/devices/unlink", #"{"deviceId": "one-\#(n)"}"#, bearer: one.accessToken)
                async let y = post(http, "/v1/auth/devices/unlink", #"{"deviceId": "two-\#(n)"}"#, bearer: one.accessToken)
                let (rx, ry) = try await (x, y)
                #expect(Set([rx.0, ry.0]) == [.noContent, .conflict], "\(rx.0) \(ry.0)")
                var left = -1
                for try await c in try await client.query("SELECT count(*)::int FROM auth.devices WHERE account_id = \(one.accountId)",
                                                          logger: logger).decode(Int.self) { left = c }
                #expect(left == 1)
            }
        }
    }

    /// A guesser spraying many emails from one address is stopped by the per-address limit (a
    /// live server: the router test client has no peer address).
    @Test func failedLoginsAreLimitedPerAddressAcrossEmails() async throws {
        try await withDatabase(logger: logger) { client in
            // A fresh window per run: earlier runs' failures of 127.0.0.1 are forgotten.
            try await client.query("DELETE FROM auth.login_failures WHERE key = 'addr:127.0.0.1'", logger: logger)
            var config = AuthConfig()
            config.maxLoginFailuresPerAddress = 6
            let n = UInt64.random(in: 0...UInt64.max)
            try await app(client, config: config).test(.live) { http in
                let owner = try await login(http, "spray-\(n)")
                let creds = #"{"email": "spray-\#(n)@example.com", "password": "the right one 1"}"#
                #expect(try await post(http, "/v1/auth/email/register", creds, bearer: owner.accessToken).0 == .created)
                for i in 0..<6 {
                    let (s, _) = try await post(http, "/v1/auth/email/login", #"{"email": "victim-\#(i)-\#(n)@example.com", "password": "guess guess 1"}"#)
                    #expect(s == .unauthorized)
                }
                // Six emails, one failure each (each under its own limit of 5): the address is now
                // refused, even with the right password of yet another account.
                let (s, b) = try await post(http, "/v1/auth/email/login", creds)
                #expect(s == .tooManyRequests && String(decoding: b, as: UTF8.self).contains("too_many_attempts"))
            }
            try await client.query("DELETE FROM auth.login_failures WHERE key = 'addr:127.0.0.1'", logger: logger)
        }
    }

    /// Other services verify access tokens offline: with the configured public key, or the JWKS.
    @Test func accessTokensVerifyOfflineWithThePublicKeyAndTheJWKS() async throws {
        try await withDatabase(logger: logger) { client in
            let n = UInt64.random(in: 0...UInt64.max)
            try await app(client).test(.router) { http in
                let s = try await login(http, "keys-\(n)")
                let (status, body) = try await get(http, "/v1/auth/keys")
                #expect(status == .ok)
                let jwks = try JSONDecoder().decode(AuthTokens.JWKS.self, from: body)
                #expect(jwks.keys.count == 1 && jwks.keys[0].kid == "auth-1" && jwks.keys[0].crv == "Ed25519")
                let raw = try Base64URL.decode(jwks.keys[0].x)
                let verifier = try await AccessTokenVerifier(publicKeys: [AccessPublicKey(keyId: jwks.keys[0].kid, raw: raw)])
                let claims = await verifier.verify(authorization: "Bearer \(s.accessToken)")
                #expect(claims?.accountId == s.accountId)
                // Another key (a forger's, or a key id it does not know) verifies nothing.
                let forger = try await AccessTokenSigner(seed: (0..<32).map { UInt8(255 - $0) })
                let forged = try await forger.sign(AccessClaims(account: s.accountId, session: UUID(), issuedAt: Date(), lifetimeSeconds: 60))
                #expect(await verifier.verify(forged) == nil)
                let expired = try await AuthTokens(seed: (0..<32).map { UInt8($0) }).sign(
                    AccessClaims(account: s.accountId, session: UUID(), issuedAt: Date().addingTimeInterval(-600), lifetimeSeconds: 60))
                #expect(await verifier.verify(expired) == nil)
                #expect(await verifier.verify(authorization: "Basic \(s.accessToken)") == nil)
                #expect(await verifier.verify(authorization: nil) == nil)
            }
        }
        #expect(throws: AccessKeyError.self) { try AccessPublicKey(parsing: "auth-1:zz") }
        #expect(throws: AccessKeyError.self) { try AccessPublicKey(parsing: "bad kid!:" + String(repeating: "ab", count: 32)) }
        #expect(try AccessPublicKey(parsing: String(repeating: "ab", count: 32)).keyId == "auth-1")
    }
}

/// Logs in with a device id through the test client.
func login(_ http: some TestClientProtocol, _ device: String) async throws -> AuthService.TokenPair {
    let (s, b) = try await post(http, "/v1/auth/device", #"{"deviceId": "\#(device)"}"#)
    #expect(s == .ok, "\(String(decoding: b, as: UTF8.self))")
    return try JSONDecoder().decode(AuthService.TokenPair.self, from: b)
}

/// GETs through the test client (with an optional bearer token).
func get(_ http: some TestClientProtocol, _ uri: String, bearer: String? = nil) async throws -> (HTTPResponse.Status, Data) {
    var headers: HTTPFields = [:]
    if let bearer { headers[.authorization] = "Bearer \(bearer)" }
    return try await http.execute(uri: uri, method: .get, headers: headers) { ($0.status, Data($0.body.readableBytesView)) }
}
