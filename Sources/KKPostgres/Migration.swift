import Foundation

/// One versioned schema change: a SQL file named `NNNN_name.sql`. Its statements end with `;`
/// at the end of a line (the runner sends them one at a time in one transaction).
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version; self.name = name; self.sql = sql
    }

    /// The statements of the file, comments and blank lines dropped.
    public var statements: [String] {
        var out: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current += line + "\n"
            if trimmed.hasSuffix(";") {
                out.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { out.append(rest) }
        return out
    }
}

/// A service's schema and its migrations, in version order (1, 2, 3... without gaps).
public struct MigrationSet: Sendable {
    /// The PostgreSQL schema the service owns (a plain lower-case identifier).
    public let schema: String
    public let migrations: [Migration]

    public init(schema: String, migrations: [Migration]) throws(PostgresStoreError) {
        guard let first = schema.first, first == "_" || (first.isASCII && first.isLowercase),
              schema.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) }) else {
            throw .badMigrations("schema name '\(schema)' must be lower-case letters, digits and underscores, not starting with a digit")
        }
        let sorted = migrations.sorted { $0.version < $1.version }
        for (i, m) in sorted.enumerated() where m.version != i + 1 {
            throw .badMigrations("\(schema): versions must run 1, 2, 3... without gaps (found \(m.version) at position \(i + 1))")
        }
        self.schema = schema
        self.migrations = sorted
    }
}
