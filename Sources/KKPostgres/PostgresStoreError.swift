/// Why a PostgreSQL-backed store could not start or answer. Requests map these to 503 (the
/// database is unavailable) or 500; configuration problems stop the process with a message.
public enum PostgresStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection URL (or settings) cannot be used.
    case badURL(String)
    /// A migration file is missing, misnamed or out of order.
    case badMigrations(String)
    /// A migration failed to apply (its transaction was rolled back).
    case migrationFailed(version: Int, name: String, reason: String)
    /// The database did not answer in time or refused the query.
    case unavailable(String)
    /// The database refused the data itself (a constraint or a bad value): the same write
    /// will always fail, retrying cannot help.
    case rejected(String)

    public var description: String {
        switch self {
        case .badURL(let why): "bad PostgreSQL URL: \(why)"
        case .badMigrations(let why): "bad migrations: \(why)"
        case .migrationFailed(let v, let n, let why): "migration \(v) (\(n)) failed: \(why)"
        case .unavailable(let why): "PostgreSQL unavailable: \(why)"
        case .rejected(let why): "PostgreSQL refused the data: \(why)"
        }
    }
}
