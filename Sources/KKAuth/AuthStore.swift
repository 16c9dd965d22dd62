import Foundation
import KKPostgres
import Logging
import PostgresNIO

/// The auth schema's SQL: accounts found or created by device, sessions created, rotated and
/// revoked. Every call has a deadline (postgres-nio waits, rather than fails, while the
/// database is down), after which it throws ``PostgresStoreError/unavailable(_:)``.
public struct AuthStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(3)) {
        self.client = client; self.logger = logger; self.deadline = deadline
    }

    /// The account of `deviceId`, created on its first login. Concurrent first logins of one
    /// device serialize on an advisory lock, so they get the same account.
    public func account(forDevice deviceId: String) async throws(PostgresStoreError) -> Int64 {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> Int64 in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(deviceId)))", logger: logger)
                for try await id in try await conn.query(
                    "UPDATE auth.devices SET last_login_at = now() WHERE device_id = \(deviceId) RETURNING account_id",
                    logger: logger).decode(Int64.self) {
                    return id
                }
                var account: Int64 = 0
                for try await id in try await conn.query("INSERT INTO auth.accounts DEFAULT VALUES RETURNING id",
                                                         logger: logger).decode(Int64.self) { account = id }
                try await conn.query("INSERT INTO auth.devices (device_id, account_id) VALUES (\(deviceId), \(account))",
                                     logger: logger)
                return account
            }
        }
    }

    /// A new session of `account` with the hash of its refresh token.
    public func createSession(_ id: UUID, account: Int64, device: String? = nil, refreshHash: [UInt8],
                              expires: Date) async throws(PostgresStoreError) {
        try await timed { [client, logger] in
            try await client.query("""
                INSERT INTO auth.sessions (id, account_id, refresh_hash, expires_at, device_id)
                VALUES (\(id), \(account), \(Data(refreshHash)), \(expires), \(device))
                """, logger: logger)
        }
    }

    /// Replaces the session's refresh hash if `oldHash` is the current one and the session is
    /// live; returns its account. A live session presented with another hash (a refresh token
    /// used twice: someone kept a copy) is revoked and nil returned, as for an unknown one.
    public func rotate(_ id: UUID, oldHash: [UInt8], newHash: [UInt8], expires: Date) async throws(PostgresStoreError) -> Int64? {
        try await timed { [client, logger] in
            for try await account in try await client.query("""
                UPDATE auth.sessions SET refresh_hash = \(Data(newHash)), expires_at = \(expires)
                WHERE id = \(id) AND refresh_hash = \(Data(oldHash)) AND revoked_at IS NULL AND expires_at > now()
                RETURNING account_id
                """, logger: logger).decode(Int64.self) {
                return account
            }
            try await client.query("UPDATE auth.sessions SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL",
                                   logger: logger)
            return nil
        }
    }

    /// Gives `account` email credentials; false when the email is taken or the account has some.
    public func addCredentials(account: Int64, email: String, stored: PasswordHasher.Stored) async throws(PostgresStoreError) -> Bool {
        try await timed { [client, logger] in
            for try await _ in try await client.query("""
                INSERT INTO auth.credentials (account_id, email, params, salt, hash)
                VALUES (\(account), \(email), \(stored.params), \(Data(stored.salt)), \(Data(stored.hash)))
                ON CONFLICT DO NOTHING RETURNING account_id
                """, logger: logger).decode(Int64.self) {
                return true
            }
            return false
        }
    }

    /// The account and stored hash of `email` (any case), if registered.
    public func credentials(email: String) async throws(PostgresStoreError) -> (account: Int64, stored: PasswordHasher.Stored)? {
        try await timed { [client, logger] in
            for try await (account, params, salt, hash) in try await client.query(
                "SELECT account_id, params, salt, hash FROM auth.credentials WHERE lower(email) = lower(\(email))",
                logger: logger).decode((Int64, String, Data, Data).self) {
                return (account, PasswordHasher.Stored(params: params, salt: Array(salt), hash: Array(hash)))
            }
            return nil
        }
    }

    /// Failures of `key` in the window that is running (0 when none or when it ended).
    public func failures(key: String, windowSeconds: Int) async throws(PostgresStoreError) -> Int {
        try await timed { [client, logger] in
            for try await n in try await client.query("""
                SELECT failures FROM auth.login_failures
                WHERE key = \(key) AND window_start > now() - make_interval(secs => \(windowSeconds))
                """, logger: logger).decode(Int.self) {
                return n
            }
            return 0
        }
    }

    /// Counts one attempt of `key` (a new window when the last one ended); returns the count in
    /// the window, this one included.
    @discardableResult
    public func recordFailure(key: String, windowSeconds: Int) async throws(PostgresStoreError) -> Int {
        try await timed { [client, logger] in
            for try await n in try await client.query("""
                INSERT INTO auth.login_failures (key, window_start, failures) VALUES (\(key), now(), 1)
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN auth.login_failures.window_start <= now() - make_interval(secs => \(windowSeconds))
                                    THEN 1 ELSE auth.login_failures.failures + 1 END,
                    window_start = CASE WHEN auth.login_failures.window_start <= now() - make_interval(secs => \(windowSeconds))
                                        THEN now() ELSE auth.login_failures.window_start END
                RETURNING failures
                """, logger: logger).decode(Int.self) { return n }
            return 0
        }
    }

    /// Takes one attempt of `key` back (a successful login from an address).
    public func forgiveAttempt(key: String) async throws(PostgresStoreError) {
        try await timed { [client, logger] in
            try await client.query("UPDATE auth.login_failures SET failures = greatest(failures - 1, 0) WHERE key = \(key)", logger: logger)
        }
    }

    /// Forgets the failures of `key` (a successful login).
    public func clearFailures(key: String) async throws(PostgresStoreError) {
        try await timed { [client, logger] in
            try await client.query("DELETE FROM auth.login_failures WHERE key = \(key)", logger: logger)
        }
    }

    /// Revokes a session (logout, or an operator's decision).
    public func revoke(_ id: UUID) async throws(PostgresStoreError) {
        try await timed { [client, logger] in
            try await client.query("UPDATE auth.sessions SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL",
                                   logger: logger)
        }
    }

    /// Revokes every live session of `account` ("log out everywhere"); returns how many.
    @discardableResult
    public func revokeAll(account: Int64) async throws(PostgresStoreError) -> Int {
        try await timed { [client, logger] in
            var n = 0
            for try await _ in try await client.query(
                "UPDATE auth.sessions SET revoked_at = now() WHERE account_id = \(account) AND revoked_at IS NULL RETURNING id",
                logger: logger).decode(UUID.self) { n += 1 }
            return n
        }
    }

    /// The device ids that log in to `account`, oldest first.
    public func devices(account: Int64) async throws(PostgresStoreError) -> [String] {
        try await timed { [client, logger] in
            var ids: [String] = []
            for try await id in try await client.query(
                "SELECT device_id FROM auth.devices WHERE account_id = \(account) ORDER BY created_at, device_id",
                logger: logger).decode(String.self) { ids.append(id) }
            return ids
        }
    }

    /// What ``link(device:to:)`` did.
    public enum LinkResult: Equatable, Sendable {
        /// The device now logs in to the account (it was new, or it moved from an anonymous
        /// single-device account, whose sessions were revoked).
        case linked
        case alreadyLinked
        /// It belongs to an account that has email credentials or other devices: not moved.
        case ownedElsewhere
    }

    /// Makes `device` log in to `account`. Serialized with the device's first login.
    public func link(device: String, to account: Int64) async throws(PostgresStoreError) -> LinkResult {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> LinkResult in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(device)))", logger: logger)
                var owner: Int64?
                for try await id in try await conn.query(
                    "SELECT account_id FROM auth.devices WHERE device_id = \(device) FOR UPDATE", logger: logger).decode(Int64.self) {
                    owner = id
                }
                guard let owner else {
                    try await conn.query("INSERT INTO auth.devices (device_id, account_id) VALUES (\(device), \(account))", logger: logger)
                    return .linked
                }
                if owner == account { return .alreadyLinked }
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("auth-account:\(owner)"), 0))", logger: logger)
                var claimed = false
                for try await n in try await conn.query(
                    "SELECT (SELECT count(*) FROM auth.credentials WHERE account_id = \(owner)) + (SELECT count(*) FROM auth.devices WHERE account_id = \(owner) AND device_id <> \(device))",
                    logger: logger).decode(Int64.self) { claimed = n > 0 }
                if claimed { return .ownedElsewhere }
                try await conn.query("UPDATE auth.devices SET account_id = \(account) WHERE device_id = \(device)", logger: logger)
                try await conn.query("UPDATE auth.sessions SET revoked_at = now() WHERE account_id = \(owner) AND revoked_at IS NULL",
                                     logger: logger)
                return .linked
            }
        }
    }

    /// What ``unlink(device:from:)`` did.
    public enum UnlinkResult: Equatable, Sendable {
        case unlinked
        /// The device does not log in to this account.
        case notLinked
        /// It is the account's last way in (no email credentials, no other device): kept.
        case lastWayIn
    }

    /// Stops `device` logging in to `account` (its next login creates a new account).
    public func unlink(device: String, from account: Int64) async throws(PostgresStoreError) -> UnlinkResult {
        try await timed { [client, logger] in
            try await client.withTransaction(logger: logger) { conn -> UnlinkResult in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(device)))", logger: logger)
                var mine = false
                for try await n in try await conn.query(
                    "SELECT count(*) FROM auth.devices WHERE device_id = \(device) AND account_id = \(account)",
                    logger: logger).decode(Int64.self) { mine = n > 0 }
                guard mine else { return .notLinked }
                // Two devices of one account unlinked at once must not both see the other.
                try await conn.query("SELECT pg_advisory_xact_lock(hashtextextended(\("auth-account:\(account)"), 0))", logger: logger)
                var otherWays: Int64 = 0
                for try await n in try await conn.query(
                    "SELECT (SELECT count(*) FROM auth.credentials WHERE account_id = \(account)) + (SELECT count(*) FROM auth.devices WHERE account_id = \(account) AND device_id <> \(device))",
                    logger: logger).decode(Int64.self) { otherWays = n }
                guard otherWays > 0 else { return .lastWayIn }
                try await conn.query("DELETE FROM auth.devices WHERE device_id = \(device)", logger: logger)
                // The device's own sessions end with it (a lost phone loses its access).
                try await conn.query("""
                    UPDATE auth.sessions SET revoked_at = now()
                    WHERE account_id = \(account) AND device_id = \(device) AND revoked_at IS NULL
                    """, logger: logger)
                return .unlinked
            }
        }
    }

    /// True while the session is neither revoked nor expired.
    public func isLive(_ id: UUID) async throws(PostgresStoreError) -> Bool {
        try await timed { [client, logger] in
            for try await n in try await client.query(
                "SELECT count(*) FROM auth.sessions WHERE id = \(id) AND revoked_at IS NULL AND expires_at > now()",
                logger: logger).decode(Int64.self) {
                return n > 0
            }
            return false
        }
    }

    /// Runs `body` with the store's deadline (``PostgresDeadline``).
    @discardableResult
    func timed<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws(PostgresStoreError) -> T {
        try await PostgresDeadline.run(deadline, body)
    }
}
