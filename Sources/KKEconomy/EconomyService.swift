import CoreMetrics
import Foundation
import Hummingbird
import KKAccessToken
import KKAdmin
import KKPostgres

/// The economy routes over ``EconomyStore``. Player routes take the auth service's access token
/// (verified offline); operator routes take the operator credential as a bearer token.
///
/// - `GET /v1/economy/catalog`: the store (public).
/// - `GET /v1/economy/wallet`: my balance and latest ledger entries.
/// - `GET /v1/economy/inventory`: the items I may pick (bought, plus everyone's starters).
/// - `POST /v1/economy/purchases` `{"item", "expectedPrice", "idempotencyKey"}`: 201 with the
///   ledger entry and balance; the same request again: 200, the same entry; 409 `stale_price`,
///   `already_owned`, `insufficient_funds`, `not_for_sale`, `idempotency_key_reused`; 404
///   `unknown_item`.
/// - Operators: `POST /v1/economy/grants` `{"accountId", "amount", "idempotencyKey", "reason"}`,
///   `POST /v1/economy/refunds` `{"ledgerId", "reason"}` (a reversal entry, once),
///   `PUT /v1/economy/catalog/{item}` `{"kind", "name", "price", "active"}`,
///   `GET /v1/economy/players/{id}/wallet` and `/inventory`.
///
/// Every operation is counted by outcome: `kk_economy_operations_total{op, outcome}`.
public struct EconomyService: Sendable {
    public let store: EconomyStore
    public let verifier: AccessTokenVerifier
    let operatorSecret: String?
    let metrics: any MetricsFactory
    public static let maxBodyBytes = 2048
    /// The largest single grant.
    public static let maxGrant: Int64 = 1_000_000_000

    public init(store: EconomyStore, verifier: AccessTokenVerifier, operatorSecret: String?, metricsFactory: any MetricsFactory) {
        self.store = store; self.verifier = verifier; self.operatorSecret = operatorSecret; self.metrics = metricsFactory
    }

    struct PurchaseBody: Decodable { var item: String; var expectedPrice: Int64; var idempotencyKey: String }
    struct GrantBody: Decodable { var accountId: Int64; var amount: Int64; var idempotencyKey: String; var reason: String? }
    struct RefundBody: Decodable { var ledgerId: Int64; var reason: String? }
    struct ItemBody: Decodable { var kind: String; var name: String; var price: Int64?; var active: Bool? }
    struct Receipt: Encodable { var entry: LedgerEntry; var balance: Int64; var replayed: Bool }
    struct Items: Encodable { var items: [CatalogItem] }
    struct Inventory: Encodable { var accountId: Int64; var items: [String] }

    func count(_ op: String, _ outcome: String) {
        Counter(label: "kk_economy_operations_total", dimensions: [("op", op), ("outcome", outcome)], factory: metrics).increment()
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/economy/catalog") { _, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                ServiceHTTP.json(.ok, Items(items: try await run { () throws(PostgresStoreError) in try await store.catalog() }))
            }
        }
        router.get("/v1/economy/wallet") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                let me = try await caller(req)
                return ServiceHTTP.json(.ok, try await run { () throws(PostgresStoreError) in try await store.wallet(account: me) })
            }
        }
        router.get("/v1/economy/inventory") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                let me = try await caller(req)
                return ServiceHTTP.json(.ok, Inventory(accountId: me, items: try await run { () throws(PostgresStoreError) in
                    try await store.inventory(account: me)
                }))
            }
        }
        router.post("/v1/economy/purchases") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                let me = try await caller(req)
                let b: PurchaseBody = try await decode(req)
                do throws(EconomyError) {
                    guard CatalogItem.isValidId(b.item) else { throw .badRequest("item: 1-48 of a-z, 0-9, '.', '_', '-'") }
                    guard b.expectedPrice > 0 else { throw .badRequest("expectedPrice must be positive") }
                    try Self.checkKey(b.idempotencyKey)
                    let outcome = try await run { () throws(PostgresStoreError) in
                        try await store.purchase(account: me, item: b.item, expectedPrice: b.expectedPrice, key: b.idempotencyKey)
                    }
                    switch outcome {
                    case .purchased(let e):
                        count("purchase", "purchased")
                        return ServiceHTTP.json(.created, Receipt(entry: e, balance: e.balanceAfter, replayed: false))
                    case .replayed(let e):
                        count("purchase", "replayed")
                        // The balance now (other operations may have followed the first answer).
                        let now = try await run { () throws(PostgresStoreError) in try await store.wallet(account: me).balance }
                        return ServiceHTTP.json(.ok, Receipt(entry: e, balance: now, replayed: true))
                    case .unknownItem: throw .unknownItem(b.item)
                    case .notForSale: throw .refused(label: "not_for_sale", message: "'\(b.item)' is not for sale")
                    case .stalePrice(let p):
                        throw .refused(label: "stale_price", message: "the price of '\(b.item)' is now \(p), not \(b.expectedPrice)")
                    case .alreadyOwned: throw .refused(label: "already_owned", message: "you own '\(b.item)' already")
                    case .insufficientFunds(let bal):
                        throw .refused(label: "insufficient_funds", message: "the balance \(bal) does not cover \(b.expectedPrice)")
                    case .keyReused(let e):
                        throw .refused(label: "idempotency_key_reused", message: "the idempotency key was used for ledger entry \(e.id) (a different operation)")
                    }
                } catch {
                    count("purchase", error.label)
                    throw error
                }
            }
        }
        addOperatorRoutes(to: router)
    }

    static func checkKey(_ k: String) throws(EconomyError) {
        guard (1...64).contains(k.utf8.count), k.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw .badRequest("idempotencyKey: 1-64 printable ASCII characters, no spaces")
        }
    }

    func caller(_ req: Request) async throws(EconomyError) -> Int64 {
        guard let claims = await verifier.verify(authorization: req.headers[.authorization]), let id = claims.accountId else {
            count("auth", "unauthorized")
            throw .unauthorized
        }
        return id
    }

    func decode<T: Decodable>(_ req: Request) async throws(EconomyError) -> T {
        do throws(ServiceHTTP.BodyError) { return try await ServiceHTTP.decode(req, maxBytes: Self.maxBodyBytes) } catch {
            count("body", "bad_request")
            throw .badRequest(error.description)
        }
    }

    func run<T: Sendable>(_ body: () async throws(PostgresStoreError) -> T) async throws(EconomyError) -> T {
        do throws(PostgresStoreError) { return try await body() } catch { throw .storeUnavailable(error) }
    }
}
