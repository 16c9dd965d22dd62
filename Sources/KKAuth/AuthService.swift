import Foundation
import Hummingbird
import HummingbirdAuth
import KKAdmin
import KKPostgres
import KKToken
import Logging
import NIOCore

/// Settings of the auth service.
public struct AuthConfig: Sendable {
    /// Access token lifetime (revocation takes effect at the next refresh, or at once for the
    /// routes that check the session, such as /v1/auth/me).
    public var accessTokenSeconds: Int = 900
    /// Refresh token (session) lifetime; each refresh extends it.
    public var sessionSeconds: Int = 30 * 86_400
    /// Failed email logins allowed per email per window; more are refused with 429 until the
    /// window ends (a guesser gets this many tries per window, whatever address it uses).
    public var maxLoginFailures: Int = 5
    /// Failed email logins allowed per client address per window, whatever the emails (a
    /// guesser spraying many accounts from one address).
    public var maxLoginFailuresPerAddress: Int = 20
    public var loginFailureWindowSeconds: Int = 900
    public init() {}
}

/// The auth routes (Hummingbird) over ``AuthStore`` and ``AuthTokens``:
///
/// - `POST /v1/auth/device` `{"deviceId"}`: the device's account (created on first use) and a new session.
/// - `POST /v1/auth/refresh` `{"refreshToken"}`: a new access and refresh token (the old refresh token dies).
/// - `POST /v1/auth/logout` (bearer access token): revokes the session.
/// - `POST /v1/auth/logout-all` (bearer): revokes every session of the account ("log out everywhere").
/// - `GET /v1/auth/me` (bearer access token): the account and session, if the session is live.
/// - `GET /v1/auth/devices` (bearer): the devices that log in to the account.
/// - `POST /v1/auth/devices/link` (bearer) `{"deviceId"}`: the device logs in to this account from
///   now on (409 when it belongs to another account that has email credentials or other devices).
/// - `POST /v1/auth/devices/unlink` (bearer) `{"deviceId"}`: the device no longer logs in to this
///   account (its next login creates a new one); 404 when it is not this account's, 409 when it is
///   the account's last way in (no email credentials, no other device).
/// - `GET /v1/auth/keys`: the access-token public keys as a JWKS (Ed25519, by `kid`).
/// - `POST /v1/auth/email/register` (bearer) `{"email", "password"}`: gives the account (a
///   device's, say) email credentials, so other devices can log in to it.
/// - `POST /v1/auth/email/login` `{"email", "password"}`: a new session of that account.
public struct AuthService: Sendable {
    public let store: AuthStore
    public let tokens: AuthTokens
    public let config: AuthConfig
    public var hasher = PasswordHasher()
    /// Request bodies are at most this long (400 beyond).
    public static let maxBodyBytes = 4096

    public init(store: AuthStore, tokens: AuthTokens, config: AuthConfig = AuthConfig()) {
        self.store = store; self.tokens = tokens; self.config = config
    }

    /// What a login or refresh returns.
    public struct TokenPair: Codable, Sendable, Equatable {
        public var accountId: Int64
        public var accessToken: String
        public var refreshToken: String
        public var expiresIn: Int
    }

    struct DeviceLogin: Decodable { var deviceId: String }
    struct Refresh: Decodable { var refreshToken: String }
    struct EmailLogin: Decodable { var email: String; var password: String }

    /// Hashed against when an email is unknown, so an unknown email costs what a wrong password does.
    static let dummyCredentials = PasswordHasher.Stored(params: "scrypt$15$8$1", salt: [UInt8](repeating: 7, count: 16),
                                                        hash: [UInt8](repeating: 0, count: 32))

    static func check(_ b: EmailLogin) throws(AuthError) {
        let email = b.email
        guard (3...254).contains(email.utf8.count), email.contains("@"), !email.contains(where: \.isWhitespace),
              !email.hasPrefix("@"), !email.hasSuffix("@") else { throw .badRequest("not an email address") }
        guard (10...128).contains(b.password.count) else { throw .badRequest("a password has 10 to 128 characters") }
    }
    struct Me: Codable { var accountId: Int64; var sessionId: String }
    struct Devices: Codable { var devices: [String] }

    static func checkDevice(_ id: String) throws(AuthError) {
        guard (8...128).contains(id.utf8.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw .badRequest("deviceId must be 8-128 characters of A-Z, a-z, 0-9, - and _")
        }
    }

    public func addRoutes<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        router.post("/v1/auth/device") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let body: DeviceLogin = try await decode(req, ctx)
                try Self.checkDevice(body.deviceId)
                let account: Int64
                do throws(PostgresStoreError) { account = try await store.account(forDevice: body.deviceId) } catch { throw .storeUnavailable(error) }
                return try await json(.ok, newSession(account: account, device: body.deviceId))
            }
        }
        router.post("/v1/auth/refresh") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let body: Refresh = try await decode(req, ctx)
                guard let (session, hash) = AuthTokens.parseRefreshToken(body.refreshToken) else { throw .refreshRefused }
                let next = try Self.refreshToken(session: session)
                let account: Int64?
                do throws(PostgresStoreError) {
                    account = try await store.rotate(session, oldHash: hash, newHash: next.hash,
                                                     expires: Date().addingTimeInterval(TimeInterval(config.sessionSeconds)))
                } catch { throw .storeUnavailable(error) }
                guard let account else { throw .refreshRefused }
                let access = try await accessToken(account: account, session: session)
                return try json(.ok, TokenPair(accountId: account, accessToken: access, refreshToken: next.token,
                                               expiresIn: config.accessTokenSeconds))
            }
        }
        router.post("/v1/auth/logout") { req, _ -> Response in
            await respond { () throws(AuthError) in
                let claims = try await bearer(req)
                do throws(PostgresStoreError) { try await store.revoke(claims.sessionId!) } catch { throw .storeUnavailable(error) }
                return Response(status: .noContent)
            }
        }
        router.post("/v1/auth/email/register") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let claims = try await liveBearer(req)
                let body: EmailLogin = try await decode(req, ctx)
                try Self.check(body)
                guard let stored = hasher.hash(body.password) else { throw .signingFailed("scrypt failed") }
                let added: Bool
                do throws(PostgresStoreError) {
                    added = try await store.addCredentials(account: claims.accountId!, email: body.email, stored: stored)
                } catch { throw .storeUnavailable(error) }
                guard added else { throw .conflict("the email is taken, or this account already has credentials") }
                return Response(status: .created)
            }
        }
        router.post("/v1/auth/email/login") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let body: EmailLogin = try await decode(req, ctx)
                try Self.check(body)
                let key = "email:" + body.email.lowercased()
                let addressKey = ctx.remoteAddress?.ipAddress.map { "addr:" + $0 }
                let window = config.loginFailureWindowSeconds
                // Every attempt counts before the (slow) password check, so attempts sent in
                // parallel cannot all read the old count; a success takes its count back.
                let attempts: Int, addressAttempts: Int
                do throws(PostgresStoreError) {
                    attempts = try await store.recordFailure(key: key, windowSeconds: window)
                    if let addressKey { addressAttempts = try await store.recordFailure(key: addressKey, windowSeconds: window) } else {
                        addressAttempts = 0
                    }
                } catch { throw .storeUnavailable(error) }
                guard attempts <= config.maxLoginFailures, addressAttempts <= config.maxLoginFailuresPerAddress else {
                    throw .tooManyAttempts(retryAfterSeconds: window)
                }
                let found: (account: Int64, stored: PasswordHasher.Stored)?
                do throws(PostgresStoreError) { found = try await store.credentials(email: body.email) } catch {
                    throw .storeUnavailable(error)
                }
                let ok = PasswordHasher.verify(body.password, against: found?.stored ?? Self.dummyCredentials)
                guard ok, let account = found?.account else { throw .unauthorized }
                do throws(PostgresStoreError) {
                    try await store.clearFailures(key: key)
                    if let addressKey { try await store.forgiveAttempt(key: addressKey) }
                } catch { throw .storeUnavailable(error) }
                return try await json(.ok, newSession(account: account))
            }
        }
        router.post("/v1/auth/logout-all") { req, _ -> Response in
            await respond { () throws(AuthError) in
                let claims = try await liveBearer(req)
                do throws(PostgresStoreError) { _ = try await store.revokeAll(account: claims.accountId!) } catch {
                    throw .storeUnavailable(error)
                }
                return Response(status: .noContent)
            }
        }
        router.get("/v1/auth/devices") { req, _ -> Response in
            await respond { () throws(AuthError) in
                let claims = try await liveBearer(req)
                let devices: [String]
                do throws(PostgresStoreError) { devices = try await store.devices(account: claims.accountId!) } catch {
                    throw .storeUnavailable(error)
                }
                return try json(.ok, Devices(devices: devices))
            }
        }
        router.post("/v1/auth/devices/link") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let claims = try await liveBearer(req)
                let body: DeviceLogin = try await decode(req, ctx)
                try Self.checkDevice(body.deviceId)
                let result: AuthStore.LinkResult
                do throws(PostgresStoreError) { result = try await store.link(device: body.deviceId, to: claims.accountId!) } catch {
                    throw .storeUnavailable(error)
                }
                switch result {
                case .linked: return Response(status: .created)
                case .alreadyLinked: return Response(status: .noContent)
                case .ownedElsewhere: throw .conflict("the device belongs to another account with email credentials or other devices")
                }
            }
        }
        router.post("/v1/auth/devices/unlink") { req, ctx -> Response in
            await respond { () throws(AuthError) in
                let claims = try await liveBearer(req)
                let body: DeviceLogin = try await decode(req, ctx)
                try Self.checkDevice(body.deviceId)
                let result: AuthStore.UnlinkResult
                do throws(PostgresStoreError) { result = try await store.unlink(device: body.deviceId, from: claims.accountId!) } catch {
                    throw .storeUnavailable(error)
                }
                switch result {
                case .unlinked: return Response(status: .noContent)
                case .notLinked: throw .notFound("the device does not log in to this account")
                case .lastWayIn: throw .conflict("the device is the account's last way in: register an email first")
                }
            }
        }
        router.get("/v1/auth/keys") { _, _ -> Response in
            await respond { () throws(AuthError) in try json(.ok, tokens.jwks) }
        }
        router.get("/v1/auth/me") { req, _ -> Response in
            await respond { () throws(AuthError) in
                let claims = try await bearer(req)
                let live: Bool
                do throws(PostgresStoreError) { live = try await store.isLive(claims.sessionId!) } catch { throw .storeUnavailable(error) }
                guard live else { throw .unauthorized }
                return try json(.ok, Me(accountId: claims.accountId!, sessionId: claims.sid))
            }
        }
    }

    /// A new session for `account`: its refresh token and a first access token.
    /// `device`: the device it logged in from (device logins), so unlinking the device ends it.
    func newSession(account: Int64, device: String? = nil) async throws(AuthError) -> TokenPair {
        let session = UUID()
        let refresh = try Self.refreshToken(session: session)
        do throws(PostgresStoreError) {
            try await store.createSession(session, account: account, device: device, refreshHash: refresh.hash,
                                          expires: Date().addingTimeInterval(TimeInterval(config.sessionSeconds)))
        } catch { throw .storeUnavailable(error) }
        let access = try await accessToken(account: account, session: session)
        return TokenPair(accountId: account, accessToken: access, refreshToken: refresh.token, expiresIn: config.accessTokenSeconds)
    }

    static func refreshToken(session: UUID) throws(AuthError) -> (token: String, hash: [UInt8]) {
        do throws(TokenError) { return try AuthTokens.newRefreshToken(session: session) } catch {
            throw .signingFailed("no random bytes: \(error)")
        }
    }

    func accessToken(account: Int64, session: UUID) async throws(AuthError) -> String {
        let claims = AccessClaims(account: account, session: session, issuedAt: Date(), lifetimeSeconds: config.accessTokenSeconds)
        do { return try await tokens.sign(claims) } catch { throw .signingFailed("\(error)") }
    }

    /// The verified claims of the request's bearer token.
    func bearer(_ req: Request) async throws(AuthError) -> AccessClaims {
        guard let token = req.headers.bearer?.token, let claims = await tokens.verify(token),
              claims.accountId != nil, claims.sessionId != nil else { throw .unauthorized }
        return claims
    }

    /// ``bearer(_:)`` whose session is still live (revocation effective at once, not only at the
    /// token's expiry): for the routes that change the account.
    func liveBearer(_ req: Request) async throws(AuthError) -> AccessClaims {
        let claims = try await bearer(req)
        let live: Bool
        do throws(PostgresStoreError) { live = try await store.isLive(claims.sessionId!) } catch { throw .storeUnavailable(error) }
        guard live else { throw .unauthorized }
        return claims
    }

    func decode<T: Decodable, Context: RequestContext>(_ req: Request, _ ctx: Context) async throws(AuthError) -> T {
        do throws(ServiceHTTP.BodyError) { return try await ServiceHTTP.decode(req, maxBytes: Self.maxBodyBytes) } catch {
            throw .badRequest(error.description)
        }
    }

    func json<T: Encodable>(_ status: HTTPResponse.Status, _ value: T) throws(AuthError) -> Response {
        ServiceHTTP.json(status, value)
    }

    func respond(_ body: () async throws(AuthError) -> Response) async -> Response {
        await ServiceHTTP.respond(body)
    }
}
