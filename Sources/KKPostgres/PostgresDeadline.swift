import Logging
import PostgresNIO

/// Deadlines for PostgreSQL calls: postgres-nio waits (rather than fails) while the database is
/// down, so every call a request waits on runs under one, after which it throws
/// ``PostgresStoreError/unavailable(_:)``.
public enum PostgresDeadline {
    /// Runs `body`; any failure, or no answer within `deadline`, is ``PostgresStoreError/unavailable(_:)``
    /// (a ``PostgresStoreError`` thrown by `body` passes through).
    public static func run<T: Sendable>(_ deadline: Duration,
                                        _ body: @escaping @Sendable () async throws -> T) async throws(PostgresStoreError) -> T {
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await body() }
                group.addTask { try await Task.sleep(for: deadline); return nil }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw PostgresStoreError.unavailable("no answer within \(deadline)")
                }
                return value
            }
        } catch let e as PostgresStoreError {
            throw e
        } catch {
            throw .unavailable(String(describing: error).prefix(300).description)
        }
    }

    /// `SELECT 1` within `deadline`: the database answers queries.
    public static func ping(_ client: PostgresClient, logger: Logger, deadline: Duration = .seconds(2)) async throws(PostgresStoreError) {
        try await run(deadline) { try await client.query("SELECT 1", logger: logger) }
    }
}
