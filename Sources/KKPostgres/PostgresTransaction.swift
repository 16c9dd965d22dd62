import Logging
import PostgresNIO

/// One transaction whose data refusals are told apart from outages: when the database refuses
/// the data itself (SQLSTATE class 22, data exception, or 23, integrity constraint), the error
/// is ``PostgresStoreError/rejected(_:)``, which retrying cannot cure; anything else passes
/// through as it came (a consumer retries those).
public enum PostgresTransaction {
    public static func run<T: Sendable>(_ client: PostgresClient, logger: Logger,
                                        _ body: (PostgresConnection) async throws -> sending T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger, body)
        } catch let e as PostgresTransactionError {
            if let p = e.closureError as? PSQLError, let state = p.serverInfo?[.sqlState], state.hasPrefix("22") || state.hasPrefix("23") {
                throw PostgresStoreError.rejected("\(state): \(p.serverInfo?[.message] ?? "")")
            }
            throw e
        }
    }
}
