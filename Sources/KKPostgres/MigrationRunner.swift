import Logging
import PostgresNIO

/// Applies a service's migrations at start: idempotent (applied versions are recorded in
/// `<schema>.schema_migrations`), safe when several instances start at once (one transaction
/// under an advisory lock on the schema's name), all or nothing per run.
public enum MigrationRunner {
    /// Applies what is missing; returns the versions applied now (empty when up to date).
    @discardableResult
    public static func apply(_ set: MigrationSet, on client: PostgresClient, logger: Logger) async throws(PostgresStoreError) -> [Int] {
        let schema = set.schema
        do {
            return try await client.withTransaction(logger: logger) { conn -> [Int] in
                try await conn.query("SELECT pg_advisory_xact_lock(hashtext(\(schema)))", logger: logger)
                try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
                try await conn.query(PostgresQuery(unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                    """), logger: logger)
                var applied = Set<Int>()
                for try await v in try await conn.query(PostgresQuery(unsafeSQL: "SELECT version FROM \(schema).schema_migrations"),
                                                        logger: logger).decode(Int.self) {
                    applied.insert(v)
                }
                var now: [Int] = []
                for m in set.migrations where !applied.contains(m.version) {
                    do {
                        for statement in m.statements {
                            try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                    } catch {
                        throw PostgresStoreError.migrationFailed(version: m.version, name: m.name, reason: "\(String(reflecting: error))")
                    }
                    try await conn.query(PostgresQuery(unsafeSQL: "INSERT INTO \(schema).schema_migrations (version, name) VALUES ($1, $2)",
                                                       binds: binds(m.version, m.name)), logger: logger)
                    now.append(m.version)
                }
                return now
            }
        } catch let e as PostgresTransactionError {
            if let inner = e.closureError as? PostgresStoreError { throw inner }
            throw .unavailable("\(String(reflecting: e.closureError ?? e.beginError ?? e.commitError ?? e))")
        } catch {
            throw .unavailable("\(String(reflecting: error))")
        }
    }

    private static func binds(_ version: Int, _ name: String) -> PostgresBindings {
        var b = PostgresBindings()
        b.append(version)
        b.append(name)
        return b
    }
}
