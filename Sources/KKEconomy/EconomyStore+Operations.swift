import Foundation
import KKPostgres
import Logging
import PostgresNIO

/// The operations that change balances: purchase, grant, reward, refund. Each is one
/// transaction under the wallet's row lock, keyed by a unique idempotency key (see the type's
/// documentation); a refusal changes nothing.
extension EconomyStore {
    /// Buys `item` at `expectedPrice` (the price the player was shown): debit and grant in one
    /// transaction. `key` is the client's idempotency key for this purchase (the ledger stores
    /// it as `purchase:<account>:<key>`): the same purchase sent again is `.replayed`.
    public func purchase(account: Int64, item: String, expectedPrice: Int64, key: String) async throws(PostgresStoreError) -> PurchaseOutcome {
        let ledgerKey = "purchase:\(account):\(key)"
        return try await PostgresDeadline.run(deadline) { [client, logger] () -> PurchaseOutcome in
            try await client.withTransaction(logger: logger) { conn -> PurchaseOutcome in
                let balance = try await Self.lockWallet(conn, account: account, logger: logger)
                if let prior = try await Self.entry(where: "idempotency_key = $1", ledgerKey, on: conn, logger: logger) {
                    let same = prior.kind == "purchase" && prior.item == item && prior.amount == -expectedPrice
                    return same ? .replayed(prior) : .keyReused(prior)
                }
                var found: (price: Int64?, active: Bool)?
                for try await row in try await conn.query("SELECT price, active FROM economy.catalog WHERE item = \(item)",
                                                          logger: logger).decode((Int64?, Bool).self) { found = row }
                guard let found else { return .unknownItem }
                guard found.active, let price = found.price else { return .notForSale }
                guard price == expectedPrice else { return .stalePrice(current: price) }
                var owned = false
                for try await _ in try await conn.query("SELECT 1 FROM economy.inventory WHERE account_id = \(account) AND item = \(item)",
                                                        logger: logger) { owned = true }
                guard !owned else { return .alreadyOwned }
                guard balance >= price else { return .insufficientFunds(balance: balance) }
                let e = try await Self.append(conn, account: account, key: ledgerKey, kind: "purchase", amount: -price,
                                              balanceAfter: balance - price, item: item, reason: nil, logger: logger)
                try await conn.query("INSERT INTO economy.inventory (account_id, item, ledger_id) VALUES (\(account), \(item), \(e.id))",
                                     logger: logger)
                return .purchased(e)
            }
        }
    }

    /// Credits `amount` (positive) to the account: an operator's grant, keyed
    /// `grant:<account>:<key>`.
    public func grant(account: Int64, amount: Int64, key: String, reason: String?) async throws(PostgresStoreError) -> GrantOutcome {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> GrantOutcome in
            try await client.withTransaction(logger: logger) { conn -> GrantOutcome in
                try await Self.credit(on: conn, account: account, amount: amount, kind: "grant", key: "grant:\(account):\(key)",
                                      reason: reason, logger: logger)
            }
        }
    }

    /// Credits inside the caller's transaction (the results store pays race rewards in the
    /// transaction that records the result). Credit several wallets in account order.
    public static func credit(on conn: PostgresConnection, account: Int64, amount: Int64, kind: String, key: String, reason: String?,
                              logger: Logger) async throws -> GrantOutcome {
        precondition(amount > 0, "credits are positive")
        let balance = try await lockWallet(conn, account: account, logger: logger)
        if let prior = try await entry(where: "idempotency_key = $1", key, on: conn, logger: logger) {
            return prior.kind == kind && prior.amount == amount && prior.accountId == account ? .replayed(prior) : .keyReused(prior)
        }
        return .granted(try await append(conn, account: account, key: key, kind: kind, amount: amount, balanceAfter: balance + amount,
                                         reason: reason, logger: logger))
    }

    /// One credit of ``creditMany(on:_:kind:logger:)``.
    public struct Credit: Sendable {
        public var account: Int64
        public var amount: Int64
        public var key: String
        public var reason: String?
        public init(account: Int64, amount: Int64, key: String, reason: String?) {
            self.account = account; self.amount = amount; self.key = key; self.reason = reason
        }
    }

    /// Credits several wallets (distinct accounts) inside the caller's transaction in four
    /// statements whatever their number: wallets created and locked in account order, keys
    /// already in the ledger skipped (done before), balances set and ledger rows appended. The
    /// number of credits made now.
    @discardableResult
    public static func creditMany(on conn: PostgresConnection, _ credits: [Credit], kind: String, logger: Logger) async throws -> Int {
        let sorted = credits.filter { $0.amount > 0 && $0.account > 0 }.sorted { $0.account < $1.account }
        precondition(Set(sorted.map(\.account)).count == sorted.count, "one credit per account")
        guard !sorted.isEmpty else { return 0 }
        let ids = sorted.map(\.account), keys = sorted.map(\.key)
        try await conn.query("INSERT INTO economy.wallets (account_id) SELECT a FROM unnest(\(ids)::bigint[]) AS u(a) ORDER BY a ON CONFLICT DO NOTHING",
                             logger: logger)
        var balance: [Int64: Int64] = [:]
        for try await (a, b) in try await conn.query("""
            SELECT account_id, balance FROM economy.wallets WHERE account_id = ANY(\(ids)::bigint[]) ORDER BY account_id FOR UPDATE
            """, logger: logger).decode((Int64, Int64).self) { balance[a] = b }
        var done: Set<String> = []
        for try await k in try await conn.query("SELECT idempotency_key FROM economy.ledger WHERE idempotency_key = ANY(\(keys)::text[])",
                                                logger: logger).decode(String.self) { done.insert(k) }
        let fresh = sorted.filter { !done.contains($0.key) }
        guard !fresh.isEmpty else { return 0 }
        let accounts = fresh.map(\.account), amounts = fresh.map(\.amount), after = fresh.map { (balance[$0.account] ?? 0) + $0.amount }
        let freshKeys = fresh.map(\.key), reasons = fresh.map { $0.reason ?? "" }
        try await conn.query("""
            UPDATE economy.wallets w SET balance = u.b, updated_at = now() FROM unnest(\(accounts)::bigint[], \(after)::bigint[]) AS u(a, b)
            WHERE w.account_id = u.a
            """, logger: logger)
        try await conn.query("""
            INSERT INTO economy.ledger (account_id, idempotency_key, kind, amount, balance_after, reason)
            SELECT a, k, \(kind), m, b, NULLIF(r, '') FROM unnest(\(accounts)::bigint[], \(freshKeys)::text[], \(amounts)::bigint[], \(after)::bigint[], \(reasons)::text[])
                AS u(a, k, m, b, r) ORDER BY a
            """, logger: logger)
        return fresh.count
    }

    /// Reverses ledger entry `id` (once: the reversal's `reverses` column is unique): a
    /// purchase's price comes back and the item leaves the inventory; a credit is taken back
    /// unless the balance no longer covers it.
    public func refund(id: Int64, reason: String?) async throws(PostgresStoreError) -> RefundOutcome {
        try await PostgresDeadline.run(deadline) { [client, logger] () -> RefundOutcome in
            try await client.withTransaction(logger: logger) { conn -> RefundOutcome in
                guard let original = try await Self.entry(where: "id = $1", id, on: conn, logger: logger) else { return .notFound }
                guard original.kind != "refund" else { return .notRefundable("entry \(id) is itself a refund") }
                let balance = try await Self.lockWallet(conn, account: original.accountId, logger: logger)
                if let done = try await Self.entry(where: "reverses = $1", id, on: conn, logger: logger) { return .alreadyRefunded(done) }
                let after = balance - original.amount
                guard after >= 0 else { return .insufficientFunds(balance: balance) }
                let e = try await Self.append(conn, account: original.accountId, key: "refund:\(id)", kind: "refund", amount: -original.amount,
                                              balanceAfter: after, item: original.item, reverses: id, reason: reason, logger: logger)
                if original.kind == "purchase", let item = original.item {
                    try await conn.query("""
                        DELETE FROM economy.inventory WHERE account_id = \(original.accountId) AND item = \(item) AND ledger_id = \(id)
                        """, logger: logger)
                }
                return .refunded(e)
            }
        }
    }
}
