import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKAdmin
import KKEconomy
import KKPostgres
import Logging
import Metrics
import NIOCore
import PostgresNIO
import Testing

/// Wallets, ledger, store and inventory against the real PostgreSQL: purchases are debit and
/// grant in one transaction, replays answer what was done, every refusal leaves everything as
/// it was, the balance never goes below zero however many spends race, and the ledger cannot be
/// edited.
@Suite(.serialized) struct EconomyTests {
    let logger = Logger(label: "economy-test")

    func withEconomy(_ body: @escaping @Sendable (EconomyStore, PostgresClient) async throws -> Void) async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try EconomyMigrations.set(), on: client, logger: logger)
            try await body(EconomyStore(client: client, logger: logger), client)
        }
    }

    static func account() -> Int64 { Int64.random(in: 1_000_000...Int64(1) << 50) }

    /// The ledger's sum for the account equals its balance.
    func ledgerSum(_ client: PostgresClient, _ account: Int64) async throws -> Int64 {
        for try await s in try await client.query("SELECT coalesce(sum(amount), 0)::bigint FROM economy.ledger WHERE account_id = \(account)",
                                                  logger: logger).decode(Int64.self) { return s }
        return -1
    }

    @Test func purchaseReplayRefusalsAndRefund() async throws {
        try await withEconomy { store, client in
            let me = Self.account()
            guard case .granted(let g) = try await store.grant(account: me, amount: 1000, key: "welcome", reason: "test") else {
                Issue.record("grant"); return
            }
            #expect(g.balanceAfter == 1000 && g.kind == "grant")
            #expect(try await store.grant(account: me, amount: 1000, key: "welcome", reason: "test") == .replayed(g), "a retried grant")
            if case .keyReused = try await store.grant(account: me, amount: 5, key: "welcome", reason: nil) {} else { Issue.record("key reuse") }

            guard case .purchased(let p) = try await store.purchase(account: me, item: "kart.drifter", expectedPrice: 500, key: "buy-1") else {
                Issue.record("purchase"); return
            }
            #expect(p.amount == -500 && p.balanceAfter == 500 && p.item == "kart.drifter")
            #expect(try await store.purchase(account: me, item: "kart.drifter", expectedPrice: 500, key: "buy-1") == .replayed(p))
            if case .keyReused = try await store.purchase(account: me, item: "skin.neon", expectedPrice: 250, key: "buy-1") {} else {
                Issue.record("a key reused for another item is refused")
            }
            #expect(try await store.purchase(account: me, item: "kart.drifter", expectedPrice: 500, key: "buy-2") == .alreadyOwned)
            #expect(try await store.purchase(account: me, item: "skin.carbon", expectedPrice: 300, key: "buy-3") == .stalePrice(current: 400))
            #expect(try await store.purchase(account: me, item: "kart.rocket", expectedPrice: 100, key: "buy-4") == .unknownItem)
            #expect(try await store.purchase(account: me, item: "kart.standard", expectedPrice: 1, key: "buy-5") == .notForSale)
            #expect(try await store.purchase(account: me, item: "skin.gold", expectedPrice: 1200, key: "buy-6") == .insufficientFunds(balance: 500))
            #expect(try await store.wallet(account: me).balance == 500, "refusals changed nothing")
            #expect(try await store.inventory(account: me) == ["kart.drifter", "kart.standard", "skin.red"])

            // Refund: the price comes back and the kart leaves the inventory, once.
            guard case .refunded(let r) = try await store.refund(id: p.id, reason: "asked nicely") else { Issue.record("refund"); return }
            #expect(r.amount == 500 && r.balanceAfter == 1000 && r.reverses == p.id)
            #expect(try await store.refund(id: p.id, reason: nil) == .alreadyRefunded(r))
            if case .notRefundable = try await store.refund(id: r.id, reason: nil) {} else { Issue.record("a refund is not refundable") }
            #expect(try await store.refund(id: Int64.max, reason: nil) == .notFound)
            #expect(try await store.inventory(account: me) == ["kart.standard", "skin.red"])
            // A credit already spent cannot be reversed: the balance never goes below zero.
            guard case .purchased = try await store.purchase(account: me, item: "kart.heavy", expectedPrice: 800, key: "buy-7") else {
                Issue.record("second purchase"); return
            }
            #expect(try await store.refund(id: g.id, reason: nil) == .insufficientFunds(balance: 200))
            let w = try await store.wallet(account: me)
            #expect(w.balance == 200 && w.recent.first?.item == "kart.heavy")
            #expect(try await ledgerSum(client, me) == 200, "the ledger adds up to the balance")

            // The ledger is append-only and the balance cannot go negative even by hand.
            await #expect(throws: (any Error).self) {
                try await client.query("UPDATE economy.ledger SET amount = 1 WHERE id = \(p.id)", logger: logger)
            }
            await #expect(throws: (any Error).self) {
                try await client.query("DELETE FROM economy.ledger WHERE id = \(p.id)", logger: logger)
            }
            await #expect(throws: (any Error).self) {
                try await client.query("UPDATE economy.wallets SET balance = -1 WHERE account_id = \(me)", logger: logger)
            }
        }
    }

    /// 50 purchases at once of 50 different items at 100 each with 1,000 in the wallet: exactly
    /// 10 succeed, the balance ends at 0, the ledger adds up; 50 copies of one request at once
    /// buy once and replay 49 times.
    @Test func fiftyParallelSpends() async throws {
        try await withEconomy { store, client in
            let me = Self.account()
            let tag = String(me, radix: 36)
            for i in 0..<50 { try await store.upsert(CatalogItem(item: "skin.t\(tag)-\(i)", kind: "skin", name: "Test \(i)", price: 100)) }
            _ = try await store.grant(account: me, amount: 1000, key: "seed", reason: nil)
            let outcomes = try await withThrowingTaskGroup(of: PurchaseOutcome.self) { group in
                for i in 0..<50 {
                    group.addTask { try await store.purchase(account: me, item: "skin.t\(tag)-\(i)", expectedPrice: 100, key: "p\(i)") }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let bought = outcomes.filter { if case .purchased = $0 { true } else { false } }.count
            let broke = outcomes.filter { if case .insufficientFunds = $0 { true } else { false } }.count
            #expect(bought == 10 && broke == 40, "\(outcomes)")
            #expect(try await store.wallet(account: me).balance == 0)
            #expect(try await ledgerSum(client, me) == 0)
            #expect(try await store.inventory(account: me).count == 10 + 2)

            // Two parallel purchases that together exceed the balance: exactly one succeeds.
            let you = Self.account()
            _ = try await store.grant(account: you, amount: 600, key: "seed", reason: nil)
            async let a = store.purchase(account: you, item: "kart.drifter", expectedPrice: 500, key: "a")
            async let b = store.purchase(account: you, item: "skin.carbon", expectedPrice: 400, key: "b")
            let pair = try await [a, b]
            #expect(pair.filter { if case .purchased = $0 { true } else { false } }.count == 1, "\(pair)")
            #expect(pair.filter { if case .insufficientFunds = $0 { true } else { false } }.count == 1, "\(pair)")

            // One request sent 50 times at once (a client retrying): one purchase, 49 replays.
            let them = Self.account()
            _ = try await store.grant(account: them, amount: 500, key: "seed", reason: nil)
            let same = try await withThrowingTaskGroup(of: PurchaseOutcome.self) { group in
                for _ in 0..<50 { group.addTask { try await store.purchase(account: them, item: "skin.neon", expectedPrice: 250, key: "once") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(same.filter { if case .purchased = $0 { true } else { false } }.count == 1)
            #expect(same.filter { if case .replayed = $0 { true } else { false } }.count == 49)
            #expect(try await store.wallet(account: them).balance == 250)
        }
    }

    /// Credits to many wallets at once (race rewards): each key once, however often sent.
    @Test func creditManyPaysEachKeyOnce() async throws {
        try await withEconomy { store, client in
            let a = Self.account(), b = a + 1
            let credits = [EconomyStore.Credit(account: b, amount: 70, key: "reward:1:\(b)", reason: "2nd"),
                           EconomyStore.Credit(account: a, amount: 100, key: "reward:1:\(a)", reason: "1st")]
            let first = try await client.withTransaction(logger: logger) { conn in
                try await EconomyStore.creditMany(on: conn, credits, kind: "reward", logger: logger)
            }
            let again = try await client.withTransaction(logger: logger) { conn in
                try await EconomyStore.creditMany(on: conn, credits, kind: "reward", logger: logger)
            }
            #expect(first == 2 && again == 0)
            let (wa, wb) = (try await store.wallet(account: a).balance, try await store.wallet(account: b).balance)
            let (la, lb) = (try await ledgerSum(client, a), try await ledgerSum(client, b))
            #expect(wa == 100 && wb == 70 && la == 100 && lb == 70)
        }
    }

    /// The routes: tokens and the operator credential required, bad input refused with a code.
    @Test func routesRefuseBadInputWithStableCodes() async throws {
        try await withDatabase(logger: logger) { client in
            try await MigrationRunner.apply(try EconomyMigrations.set(), on: client, logger: logger)
            let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 ^ 0x3c) })
            let op = "operator-secret-for-tests"
            let service = EconomyService(store: EconomyStore(client: client, logger: logger),
                                         verifier: try await AccessTokenVerifier(publicKeys: [signer.publicKey]),
                                         operatorSecret: op, metricsFactory: NOOPMetricsHandler.instance)
            let router = Router(context: ServiceRequestContext.self)
            service.addRoutes(to: router)
            let me = Self.account()
            let token = try await signer.sign(AccessClaims(account: me, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
            try await Application(router: router).test(.router) { http in
                func call(_ m: HTTPRequest.Method, _ uri: String, _ json: String = "", bearer: String?) async throws -> (HTTPResponse.Status, String) {
                    var h: HTTPFields = [.contentType: "application/json"]
                    if let bearer { h[.authorization] = "Bearer \(bearer)" }
                    return try await http.execute(uri: uri, method: m, headers: h, body: ByteBuffer(string: json)) {
                        ($0.status, String(decoding: $0.body.readableBytesView, as: UTF8.self))
                    }
                }
                let (cs, catalog) = try await call(.get, "/v1/economy/catalog", bearer: nil)
                #expect(cs == .ok && catalog.contains("kart.drifter"))
                #expect(try await call(.get, "/v1/economy/wallet", bearer: nil).0 == .unauthorized)
                #expect(try await call(.get, "/v1/economy/wallet", bearer: "forged").0 == .unauthorized)
                #expect(try await call(.post, "/v1/economy/grants", #"{"accountId": \#(me), "amount": 300, "idempotencyKey": "g1"}"#,
                                       bearer: token).0 == .unauthorized, "a player is not an operator")
                #expect(try await call(.post, "/v1/economy/grants", #"{"accountId": \#(me), "amount": -300, "idempotencyKey": "g1"}"#,
                                       bearer: op).1.contains("bad_request"), "negative amounts are refused")
                #expect(try await call(.post, "/v1/economy/grants", #"{"accountId": \#(me), "amount": 300, "idempotencyKey": "g1"}"#,
                                       bearer: op).0 == .created)
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "skin.neon", "expectedPrice": -250, "idempotencyKey": "x"}"#,
                                       bearer: token).1.contains("bad_request"))
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "skin.neon", "expectedPrice": 250, "idempotencyKey": ""}"#,
                                       bearer: token).1.contains("bad_request"))
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "Robert'); DROP", "expectedPrice": 1, "idempotencyKey": "x"}"#,
                                       bearer: token).1.contains("bad_request"))
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "skin.nope", "expectedPrice": 1, "idempotencyKey": "x"}"#,
                                       bearer: token).1.contains("unknown_item"))
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "skin.neon", "expectedPrice": 200, "idempotencyKey": "x"}"#,
                                       bearer: token).1.contains("stale_price"))
                let (s1, b1) = try await call(.post, "/v1/economy/purchases", #"{"item": "skin.neon", "expectedPrice": 250, "idempotencyKey": "x"}"#,
                                              bearer: token)
                #expect(s1 == .created && b1.contains(#""balance":50"#), "\(b1)")
                let (s2, b2) = try await call(.post, "/v1/economy/purchases", #"{"item": "skin.neon", "expectedPrice": 250, "idempotencyKey": "x"}"#,
                                              bearer: token)
                #expect(s2 == .ok && b2.contains(#""replayed":true"#), "\(b2)")
                #expect(try await call(.post, "/v1/economy/purchases", #"{"item": "kart.drifter", "expectedPrice": 500, "idempotencyKey": "y"}"#,
                                       bearer: token).1.contains("insufficient_funds"))
                let (is_, inv) = try await call(.get, "/v1/economy/inventory", bearer: token)
                #expect(is_ == .ok && inv.contains("skin.neon") && inv.contains("kart.standard"), "\(inv)")
                // A test item of its own (the catalog is shared with the other tests).
                let item = "skin.t\(UInt32.random(in: 0...UInt32.max))"
                #expect(try await call(.put, "/v1/economy/catalog/\(item)", #"{"kind": "skin", "name": "Test", "price": 300}"#,
                                       bearer: op).0 == .ok)
                #expect(try await call(.put, "/v1/economy/catalog/\(item)", #"{"kind": "hat", "name": "Test", "price": 300}"#,
                                       bearer: op).0 == .badRequest)
                #expect(try await call(.put, "/v1/economy/catalog/\(item)", #"{"kind": "skin", "name": "Test", "price": -3}"#,
                                       bearer: op).0 == .badRequest)
                #expect(try await call(.post, "/v1/economy/refunds", #"{"ledgerId": 9223372036854775807}"#, bearer: op).0 == .notFound)
                #expect(try await call(.post, "/v1/economy/purchases", "{not json", bearer: token).0 == .badRequest)
            }
        }
    }
}
