import Foundation
import KKAuth
import KKEconomy
import KKPostgres
import KKResults
import KKSocial
import Testing

/// The migrations are versioned SQL files, `Ops/migrations/<schema>/<version>_<name>.sql`, for
/// people to read and for tools that apply SQL; the binaries carry the same text (so a deployed
/// kk-services needs no files beside it). This test keeps the two identical: every migration has
/// its file with exactly its SQL, and there is no file without a migration.
/// (`KK_WRITE_MIGRATIONS=1` writes the files from the code, for a new migration.)
@Suite struct MigrationFilesTests {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    @Test func everyMigrationIsItsSQLFileAndEveryFileAMigration() throws {
        let write = ProcessInfo.processInfo.environment["KK_WRITE_MIGRATIONS"] == "1"
        for (schema, migrations) in [(AuthMigrations.schema, AuthMigrations.all), (SocialMigrations.schema, SocialMigrations.all),
                                     (ResultsMigrations.schema, ResultsMigrations.all), (EconomyMigrations.schema, EconomyMigrations.all)] {
            let dir = root.appendingPathComponent("Ops/migrations/\(schema)")
            var expected: Set<String> = []
            for m in migrations {
                let name = String(format: "%04d_%@.sql", m.version, m.name)
                expected.insert(name)
                let url = dir.appendingPathComponent(name)
                if write {
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    try (m.sql + "\n").write(to: url, atomically: true, encoding: .utf8)
                }
                let text = try String(contentsOf: url, encoding: .utf8)
                #expect(text == m.sql + "\n", "\(name) differs from \(schema) migration \(m.version) in the code")
            }
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".sql") })
            #expect(files == expected, "\(schema): files without a migration: \(files.subtracting(expected))")
        }
    }
}
