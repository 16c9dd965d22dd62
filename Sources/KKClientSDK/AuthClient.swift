import Foundation
import Glibc

/// A logged-in session's tokens. `description` never shows them (they must not reach a log).
public struct AuthSession: Codable, Equatable, Sendable, CustomStringConvertible {
    public var accountId: Int64
    public var accessToken: String
    public var refreshToken: String
    /// Unix seconds at which the access token expires.
    public var accessExpiresAt: Int64

    public init(accountId: Int64, accessToken: String, refreshToken: String, accessExpiresAt: Int64) {
        self.accountId = accountId; self.accessToken = accessToken
        self.refreshToken = refreshToken; self.accessExpiresAt = accessExpiresAt
    }

    public var description: String { "AuthSession(account \(accountId), access token expires at \(accessExpiresAt))" }
}

/// Why an auth call failed. ``message`` is for the player.
public enum AuthClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No connection (refused, unresolvable, timed out) or an answer that is not the service's.
    case unreachable(String)
    /// The service refused: HTTP status and its stable error code (e.g. `unauthorized`,
    /// `refresh_refused`, `conflict`, `bad_request`).
    case refused(status: Int, code: String)
    /// Too many failed logins: wait this many seconds.
    case rateLimited(retryAfterSeconds: Int)
    /// The secure preferences file could not be written or read.
    case storage(String)

    public var message: String {
        switch self {
        case .unreachable(let why): "cannot reach the account service; check your connection (\(why))"
        case .refused(let status, let code):
            status == 401 ? "please log in again (\(code))" : "the account service refused: HTTP \(status) \(code)"
        case .rateLimited(let s): "too many attempts; try again in \(s / 60 + 1) minutes"
        case .storage(let why): "cannot store the login: \(why)"
        }
    }

    public var description: String { message }
}

/// The auth service's client side (blocking, like ``MatchService``: called outside the game
/// loop): device and email login, refresh before expiry, logout here or everywhere. Store the
/// session with ``SecurePreferences``.
public struct AuthClient: Sendable {
    public var baseURL: String
    public var timeoutMillis: Int
    /// Refresh when the access token has less than this left (``validSession(_:now:)``).
    public var refreshMarginSeconds: Int64 = 60

    public init(baseURL: String, timeoutMillis: Int = 5_000) {
        self.baseURL = baseURL
        self.timeoutMillis = timeoutMillis
    }

    struct Pair: Decodable { var accountId: Int64; var accessToken: String; var refreshToken: String; var expiresIn: Int }

    /// Logs in as this device's account (created on its first login).
    public func loginDevice(deviceId: String, now: Int64 = Int64(time(nil))) throws(AuthClientError) -> AuthSession {
        try session(try call("POST", "/v1/auth/device", json: ["deviceId": deviceId]), now: now)
    }

    /// Logs in to the account that has these email credentials.
    public func loginEmail(email: String, password: String, now: Int64 = Int64(time(nil))) throws(AuthClientError) -> AuthSession {
        try session(try call("POST", "/v1/auth/email/login", json: ["email": email, "password": password]), now: now)
    }

    /// Gives the session's account (a device account, say) email credentials.
    public func registerEmail(_ s: AuthSession, email: String, password: String) throws(AuthClientError) {
        _ = try call("POST", "/v1/auth/email/register", json: ["email": email, "password": password], bearer: s.accessToken)
    }

    /// New tokens for the session (the old refresh token stops working).
    public func refresh(_ s: AuthSession, now: Int64 = Int64(time(nil))) throws(AuthClientError) -> AuthSession {
        try session(try call("POST", "/v1/auth/refresh", json: ["refreshToken": s.refreshToken]), now: now)
    }

    /// The session, refreshed first when its access token expires within the margin.
    public func validSession(_ s: AuthSession, now: Int64 = Int64(time(nil))) throws(AuthClientError) -> AuthSession {
        s.accessExpiresAt - now > refreshMarginSeconds ? s : try refresh(s, now: now)
    }

    /// Ends this session (this device).
    public func logout(_ s: AuthSession) throws(AuthClientError) {
        _ = try call("POST", "/v1/auth/logout", json: [:], bearer: s.accessToken)
    }

    /// Ends every session of the account.
    public func logoutEverywhere(_ s: AuthSession) throws(AuthClientError) {
        _ = try call("POST", "/v1/auth/logout-all", json: [:], bearer: s.accessToken)
    }

    private func session(_ body: [UInt8], now: Int64) throws(AuthClientError) -> AuthSession {
        do {
            let p = try JSONDecoder().decode(Pair.self, from: Data(body))
            return AuthSession(accountId: p.accountId, accessToken: p.accessToken, refreshToken: p.refreshToken,
                               accessExpiresAt: now + Int64(min(max(p.expiresIn, 0), 86_400)))
        } catch { throw .unreachable("unexpected answer") }
    }

    /// One call; the body on 2xx, a typed error otherwise.
    func call(_ method: String, _ path: String, json: [String: String], bearer: String? = nil) throws(AuthClientError) -> [UInt8] {
        try ServiceCall.run(baseURL: baseURL, method, path, body: json, bearer: bearer, timeoutMillis: timeoutMillis)
    }
}

/// One JSON call to a platform service (``BlockingHTTP``): the body on 2xx; otherwise the
/// service's stable error code as ``AuthClientError/refused(status:code:)`` (429:
/// ``AuthClientError/rateLimited(retryAfterSeconds:)``).
enum ServiceCall {
    struct ErrorBody: Decodable { var error: String }

    static func run(baseURL: String, _ method: String, _ path: String, body: (some Encodable)?, bearer: String?,
                    timeoutMillis: Int) throws(AuthClientError) -> [UInt8] {
        var bytes: [UInt8] = []
        if let body {
            do { bytes = [UInt8](try JSONEncoder().encode(body)) } catch { throw .unreachable("\(error)") }
        }
        let headers = bearer.map { [("Authorization", "Bearer \($0)")] } ?? []
        let status: Int, reply: [UInt8]
        do throws(MatchServiceError) {
            (status, reply) = try BlockingHTTP.request(method, url: BlockingHTTP.join(baseURL, path), body: bytes,
                                                       headers: headers, timeoutMillis: timeoutMillis)
        } catch {
            switch error {
            case .unreachable(let why), .badResponse(let why): throw .unreachable(why)
            case .refused(let s, _): throw .refused(status: s, code: "http_\(s)")
            }
        }
        if (200..<300).contains(status) { return reply }
        let code = (try? JSONDecoder().decode(ErrorBody.self, from: Data(reply)))?.error ?? "http_\(status)"
        if status == 429 { throw .rateLimited(retryAfterSeconds: 900) }
        throw .refused(status: status, code: code)
    }
}

/// Decodes a service's JSON answer (an answer that is not the expected shape is `unreachable`:
/// not the service we think it is).
func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws(AuthClientError) -> T {
    do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch { throw .unreachable("unexpected answer: \(error)") }
}

/// The seed's "Secure Preferences": the session kept in a file only its user can read (mode
/// 0600, written to a temporary file and renamed, so a crash never leaves half a file). The
/// tokens are never logged.
public struct SecurePreferences: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `$XDG_CONFIG_HOME/kartklash/session.json`, else `~/.config/...` (the home directory from
    /// `$HOME`, else the password database; never a shared directory such as /tmp).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let x = environment["XDG_CONFIG_HOME"], !x.isEmpty { return x + "/kartklash/session.json" }
        var home = environment["HOME"] ?? ""
        if home.isEmpty, let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { home = String(cString: dir) }
        return (home.isEmpty ? "." : home) + "/.config/kartklash/session.json"
    }

    public func save(_ s: AuthSession) throws(AuthClientError) {
        let data: Data
        do { data = try JSONEncoder().encode(s) } catch { throw .storage("\(error)") }
        try Self.writeAtomically(Array(data), to: path, replace: true)
    }

    /// Writes `bytes` to a fresh temporary file beside `path` (mkstemp: a unique name, mode 0600),
    /// syncs it, then moves it into place: `rename` (replace) or `link` (only if `path` does not
    /// exist yet; throws ``AuthClientError/storage(_:)`` with EEXIST otherwise). A crash never
    /// leaves half a file, and two writers never share a temporary file.
    static func writeAtomically(_ bytes: [UInt8], to path: String, replace: Bool) throws(AuthClientError) {
        makeDirectory((path as NSString).deletingLastPathComponent)
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        let tmp = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(tmp) }
        guard fchmod(fd, 0o600) == 0 else { close(fd); throw .storage("\(tmp): \(String(cString: strerror(errno)))") }
        var off = 0, ok = true
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 { if errno == EINTR { continue }; ok = false; break }
            off += n
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else { throw .storage("\(path): \(String(cString: strerror(errno)))") }
        let placed = replace ? rename(tmp, path) : link(tmp, path)
        guard placed == 0 else { throw .storage("\(path): \(String(cString: strerror(errno)))") }
    }

    /// The stored session, nil when there is none; a file others can read is refused.
    public func load() throws(AuthClientError) -> AuthSession? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        guard st.st_mode & 0o077 == 0 else { throw .storage("\(path) is readable by others; remove it and log in again") }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try JSONDecoder().decode(AuthSession.self, from: data) } catch { throw .storage("\(path) is damaged") }
    }

    public func remove() { unlink(path) }

    /// Creates `dir` and missing parents, mode 0700 (existing ones are left as they are).
    static func makeDirectory(_ dir: String) {
        guard !dir.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// This installation's device id (`kkc-` and 32 hex digits), kept beside the session in
    /// `device-id` (mode 0600) and created on first use: the anonymous account's key.
    public func deviceId() throws(AuthClientError) -> String {
        let file = (path as NSString).deletingLastPathComponent + "/device-id"
        if let data = FileManager.default.contents(atPath: file) {
            let id = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if id.hasPrefix("kkc-"), id.utf8.count == 36 { return id }
        }
        var rng = SystemRandomNumberGenerator()
        let id = "kkc-" + [rng.next(), rng.next()].map { (v: UInt64) in String(format: "%016llx", v) }.joined()
        // Created whole or not at all; when another process created it first, theirs wins.
        do throws(AuthClientError) { try Self.writeAtomically(Array((id + "\n").utf8), to: file, replace: false) } catch {
            if errno == EEXIST, let data = FileManager.default.contents(atPath: file) {
                let other = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if other.hasPrefix("kkc-"), other.utf8.count == 36 { return other }
            }
            throw error
        }
        return id
    }

    /// A session to play with: the stored one (refreshed when it is about to expire), else a
    /// device login; stored again either way. A stored session the service refuses (revoked,
    /// expired) is replaced by a fresh device login.
    public func session(using client: AuthClient, now: Int64 = Int64(time(nil))) throws(AuthClientError) -> AuthSession {
        var s: AuthSession?
        if let stored = try? load() {
            do { s = try client.validSession(stored, now: now) } catch {
                if case .refused = error { s = nil } else { throw error }
            }
        }
        let fresh: AuthSession
        if let s { fresh = s } else { fresh = try client.loginDevice(deviceId: try deviceId(), now: now) }
        try save(fresh)
        return fresh
    }
}
