import Foundation
import PostgresNIO

/// Where a service's PostgreSQL is: parsed from `postgres://user:password@host:port/database`
/// (the password may also come from the environment). TLS is off: the servers run on loopback or
/// inside a private network; put TLS in front when that changes.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    public init(host: String = "127.0.0.1", port: Int = 5432, username: String, password: String?, database: String) {
        self.host = host; self.port = port; self.username = username; self.password = password; self.database = database
    }

    /// Parses a `postgres://` (or `postgresql://`) URL; every problem is a ``PostgresStoreError/badURL(_:)``.
    public init(url text: String) throws(PostgresStoreError) {
        guard let u = URLComponents(string: text), u.scheme == "postgres" || u.scheme == "postgresql" else {
            throw .badURL("want postgres://user:password@host:port/database, got '\(text)'")
        }
        guard let user = u.user, !user.isEmpty else { throw .badURL("no user in '\(text)'") }
        let db = String(u.path.drop(while: { $0 == "/" }))
        guard !db.isEmpty else { throw .badURL("no database in '\(text)'") }
        let port = u.port ?? 5432
        guard (1...65535).contains(port) else { throw .badURL("bad port in '\(text)'") }
        self.init(host: u.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1", port: port, username: user,
                  password: u.password, database: db)
    }

    /// The postgres-nio client configuration.
    public var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }

    /// The URL without the password (for logs and /status).
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
