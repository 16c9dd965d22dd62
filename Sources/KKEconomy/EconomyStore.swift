import Foundation
import KKPostgres
import Logging
import PostgresNIO

/// Wallets, ledger, catalog and inventory in PostgreSQL (schema `economy`). Every change of a
/// balance is one transaction that locks the wallet's row (`SELECT ... FOR UPDATE`), checks the
/// operation's idempotency key, appends one ledger row and sets the balance it computed: two
/// operations on one wallet run one after the other, so the balance can never go below zero
/// (and the table's CHECK refuses it if a bug tried), and a retried operation finds its key and
/// is answered with what it did the first time.
public struct EconomyStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let deadline: Duration
    /// Latest ledger entries a wallet read returns.
    public static let recentEntries = 20

    public init(client: PostgresClient, logger: Logger, deadline: Duration = .seconds(5)) {
        self.client = client; self.logger = logger; self.deadline = deadline
    }

    static let entryColumns = "id, account_id, kind, amount, balance_after, item, reverses, reason, extract(epoch from created_at)::float8"
    typealias EntryRow = (Int64, Int64, String, Int64, Int64, String?, Int64?, String?, Double)

    static func entry(_ r: EntryRow) -> LedgerEntry {
        LedgerEntry(id: r.0, accountId: r.1, kind: r.2, amount: r.3, balanceAfter: r.4, item: r.5, reverses: r.6, reason: r.7, createdAt: r.8)
    }

    // MARK: reads

    /// The balance (0 for an account that never had a wallet) and the latest entries.
    public func wallet(account: Int64) async throws(PostgresStoreError) -> Wallet {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> Wallet in
            var w = Wallet(accountId: account, balance: 0, recent: [])
            for try await b in try await client.query("SELECT balance FROM economy.wallets WHERE account_id = \(account)",
                                                      logger: logger).decode(Int64.self) { w.balance = b }
            let limit = Self.recentEntries
            for try await row in try await client.query(PostgresQuery(unsafeSQL: """
                SELECT \(Self.entryColumns) FROM economy.ledger WHERE account_id = $1 ORDER BY id DESC LIMIT \(limit)
                """, binds: Self.binds(account)), logger: logger).decode(EntryRow.self) { w.recent.append(Self.entry(row)) }
            return w
        }
    }

    /// One ledger entry by id.
    public func entry(id: Int64) async throws(PostgresStoreError) -> LedgerEntry? {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> LedgerEntry? in
            try await client.withConnection { conn in try await Self.entry(where: "id = $1", id, on: conn, logger: logger) }
        }
    }

    /// The catalog (`activeOnly`: what the store shows).
    public func catalog(activeOnly: Bool = true) async throws(PostgresStoreError) -> [CatalogItem] {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> [CatalogItem] in
            var out: [CatalogItem] = []
            for try await (item, kind, name, price, active) in try await client.query("""
                SELECT item, kind, name, price, active FROM economy.catalog WHERE active OR NOT \(activeOnly) ORDER BY kind, price NULLS FIRST, item
                """, logger: logger).decode((String, String, String, Int64?, Bool).self) {
                out.append(CatalogItem(item: item, kind: kind, name: name, price: price, active: active))
            }
            return out
        }
    }

    /// What a player may pick: the items they bought and every item no one has to buy.
    public func inventory(account: Int64) async throws(PostgresStoreError) -> [String] {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> [String] in
            var out: [String] = []
            for try await item in try await client.query("""
                SELECT item FROM economy.inventory WHERE account_id = \(account)
                UNION SELECT item FROM economy.catalog WHERE price IS NULL ORDER BY 1
                """, logger: logger).decode(String.self) { out.append(item) }
            return out
        }
    }

    /// Adds or changes a catalog item (operators). Items are never deleted: set `active` false.
    public func upsert(_ i: CatalogItem) async throws(PostgresStoreError) {
        _ = try await PostgresDeadline.run(deadline) { [client, logger] in
            try await client.query("""
                INSERT INTO economy.catalog (item, kind, name, price, active) VALUES (\(i.item), \(i.kind), \(i.name), \(i.price), \(i.active))
                ON CONFLICT (item) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, price = EXCLUDED.price, active = EXCLUDED.active
                """, logger: logger)
        }
    }

    // MARK: building blocks (inside a transaction)

    static func binds(_ v: Int64) -> PostgresBindings {
        var b = PostgresBindings()
        b.append(v)
        return b
    }

    static func entry(where condition: String, _ value: some PostgresNonThrowingEncodable & Sendable, on conn: PostgresConnection,
                      logger: Logger) async throws -> LedgerEntry? {
        var b = PostgresBindings()
        b.append(value)
        for try await row in try await conn.query(PostgresQuery(unsafeSQL: "SELECT \(entryColumns) FROM economy.ledger WHERE \(condition)",
                                                                binds: b), logger: logger).decode(EntryRow.self) { return entry(row) }
        return nil
    }

    /// Locks the account's wallet (creating it empty first if needed) and returns its balance:
    /// every other change of this wallet waits until the caller's transaction ends.
    static func lockWallet(_ conn: PostgresConnection, account: Int64, logger: Logger) async throws -> Int64 {
        try await conn.query("INSERT INTO economy.wallets (account_id) VALUES (\(account)) ON CONFLICT (account_id) DO NOTHING", logger: logger)
        for try await b in try await conn.query("SELECT balance FROM economy.wallets WHERE account_id = \(account) FOR UPDATE",
                                                logger: logger).decode(Int64.self) { return b }
        throw PostgresStoreError.unavailable("wallet \(account) not found after creating it")
    }

    /// Appends one ledger row and sets the wallet's balance to its `balance_after` (the wallet
    /// must be locked by this transaction).
    static func append(_ conn: PostgresConnection, account: Int64, key: String, kind: String, amount: Int64, balanceAfter: Int64,
                       item: String? = nil, reverses: Int64? = nil, reason: String?, logger: Logger) async throws -> LedgerEntry {
        try await conn.query("UPDATE economy.wallets SET balance = \(balanceAfter), updated_at = now() WHERE account_id = \(account)",
                             logger: logger)
        var b = PostgresBindings()
        b.append(account); b.append(key); b.append(kind); b.append(amount); b.append(balanceAfter)
        b.append(item); b.append(reverses); b.append(reason)
        for try await row in try await conn.query(PostgresQuery(unsafeSQL: """
            INSERT INTO economy.ledger (account_id, idempotency_key, kind, amount, balance_after, item, reverses, reason)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING \(entryColumns)
            """, binds: b), logger: logger).decode(EntryRow.self) { return entry(row) }
        throw PostgresStoreError.unavailable("ledger insert returned no row")
    }
}
