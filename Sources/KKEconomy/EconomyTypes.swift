import Foundation

/// One row of the ledger: a change of one wallet's balance.
public struct LedgerEntry: Codable, Sendable, Equatable {
    public var id: Int64
    public var accountId: Int64
    /// "grant", "reward", "purchase" or "refund".
    public var kind: String
    /// Signed: a purchase is negative, a refund the opposite of what it reverses.
    public var amount: Int64
    public var balanceAfter: Int64
    public var item: String?
    /// The entry a refund reverses.
    public var reverses: Int64?
    public var reason: String?
    /// Seconds since 1970.
    public var createdAt: Double
}

/// An item of the store's catalog.
public struct CatalogItem: Codable, Sendable, Equatable {
    public var item: String
    /// "kart" or "skin".
    public var kind: String
    public var name: String
    /// nil: not sold, everyone owns it from the start.
    public var price: Int64?
    public var active: Bool

    public init(item: String, kind: String, name: String, price: Int64?, active: Bool = true) {
        self.item = item; self.kind = kind; self.name = name; self.price = price; self.active = active
    }

    /// An item id: 1-48 of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit (the table's CHECK).
    public static func isValidId(_ s: String) -> Bool {
        guard let f = s.utf8.first, (1...48).contains(s.utf8.count) else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        return ok(f) && s.utf8.allSatisfy { ok($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }
}

/// A wallet: the balance and its latest ledger entries, newest first.
public struct Wallet: Codable, Sendable, Equatable {
    public var accountId: Int64
    public var balance: Int64
    public var recent: [LedgerEntry]
}

/// What a purchase did. Only `.purchased` changed anything; `.replayed` is the same request
/// (same idempotency key, same item and price) answered again.
public enum PurchaseOutcome: Sendable, Equatable {
    case purchased(LedgerEntry)
    case replayed(LedgerEntry)
    case unknownItem
    case notForSale
    /// The price changed since the client saw it.
    case stalePrice(current: Int64)
    case alreadyOwned
    case insufficientFunds(balance: Int64)
    /// The idempotency key was used for a different operation.
    case keyReused(LedgerEntry)
}

/// What a grant (operator or reward) did.
public enum GrantOutcome: Sendable, Equatable {
    case granted(LedgerEntry)
    case replayed(LedgerEntry)
    case keyReused(LedgerEntry)
}

/// What a refund did.
public enum RefundOutcome: Sendable, Equatable {
    case refunded(LedgerEntry)
    /// Refunded before: the reversal that exists.
    case alreadyRefunded(LedgerEntry)
    case notFound
    /// A refund cannot itself be refunded.
    case notRefundable(String)
    /// Reversing a credit would take the balance below zero.
    case insufficientFunds(balance: Int64)
}
