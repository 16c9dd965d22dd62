import Foundation
import Hummingbird
import KKAdmin
import KKPostgres

/// The operator routes: grants, refunds, catalog changes, any player's wallet and inventory.
extension EconomyService {
    /// Refuses a request without the operator credential as its bearer token.
    func operatorCheck(_ req: Request) throws(EconomyError) {
        guard operatorSecret != nil else { throw .operatorOff }
        let presented = req.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard ServiceCredential.matches(presented, secret: operatorSecret) else { count("operator", "not_operator"); throw .notOperator }
    }

    static func account<C: RequestContext>(_ ctx: C) throws(EconomyError) -> Int64 {
        guard let t = ctx.parameters.get("id"), let v = Int64(t), v > 0 else { throw .badRequest("the account id in the path must be a positive integer") }
        return v
    }

    func addOperatorRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("/v1/economy/grants") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                try operatorCheck(req)
                let b: GrantBody = try await decode(req)
                do throws(EconomyError) {
                    guard b.accountId > 0 else { throw .badRequest("accountId must be positive") }
                    guard (1...Self.maxGrant).contains(b.amount) else { throw .badRequest("amount must be 1-\(Self.maxGrant)") }
                    try Self.checkKey(b.idempotencyKey)
                    let reason = b.reason.map { String($0.prefix(200)) }
                    switch try await run({ () throws(PostgresStoreError) in
                        try await store.grant(account: b.accountId, amount: b.amount, key: b.idempotencyKey, reason: reason)
                    }) {
                    case .granted(let e):
                        count("grant", "granted")
                        return ServiceHTTP.json(.created, Receipt(entry: e, balance: e.balanceAfter, replayed: false))
                    case .replayed(let e):
                        count("grant", "replayed")
                        return ServiceHTTP.json(.ok, Receipt(entry: e, balance: e.balanceAfter, replayed: true))
                    case .keyReused(let e):
                        throw .refused(label: "idempotency_key_reused", message: "the idempotency key was used for ledger entry \(e.id) (a different grant)")
                    }
                } catch {
                    count("grant", error.label)
                    throw error
                }
            }
        }
        router.post("/v1/economy/refunds") { req, _ -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                try operatorCheck(req)
                let b: RefundBody = try await decode(req)
                do throws(EconomyError) {
                    guard b.ledgerId > 0 else { throw .badRequest("ledgerId must be positive") }
                    let reason = b.reason.map { String($0.prefix(200)) }
                    switch try await run({ () throws(PostgresStoreError) in try await store.refund(id: b.ledgerId, reason: reason) }) {
                    case .refunded(let e):
                        count("refund", "refunded")
                        return ServiceHTTP.json(.created, Receipt(entry: e, balance: e.balanceAfter, replayed: false))
                    case .alreadyRefunded(let e):
                        throw .refused(label: "already_refunded", message: "ledger entry \(b.ledgerId) was refunded by entry \(e.id)")
                    case .notFound: throw .notFound("no ledger entry \(b.ledgerId)")
                    case .notRefundable(let why): throw .refused(label: "not_refundable", message: why)
                    case .insufficientFunds(let bal):
                        throw .refused(label: "insufficient_funds", message: "the balance \(bal) does not cover the reversal")
                    }
                } catch {
                    count("refund", error.label)
                    throw error
                }
            }
        }
        router.put("/v1/economy/catalog/{item}") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                try operatorCheck(req)
                guard let item = ctx.parameters.get("item"), CatalogItem.isValidId(item) else {
                    throw .badRequest("item: 1-48 of a-z, 0-9, '.', '_', '-'")
                }
                let b: ItemBody = try await decode(req)
                guard b.kind == "kart" || b.kind == "skin" else { throw .badRequest("kind must be kart or skin") }
                guard (1...40).contains(b.name.count) else { throw .badRequest("name: 1-40 characters") }
                if let p = b.price, p <= 0 || p > Self.maxGrant { throw .badRequest("price must be 1-\(Self.maxGrant), or null (not sold)") }
                let i = CatalogItem(item: item, kind: b.kind, name: b.name, price: b.price, active: b.active ?? true)
                try await run { () throws(PostgresStoreError) in try await store.upsert(i) }
                count("catalog", "upserted")
                return ServiceHTTP.json(.ok, i)
            }
        }
        router.get("/v1/economy/players/{id}/wallet") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                try operatorCheck(req)
                let id = try Self.account(ctx)
                return ServiceHTTP.json(.ok, try await run { () throws(PostgresStoreError) in try await store.wallet(account: id) })
            }
        }
        router.get("/v1/economy/players/{id}/inventory") { req, ctx -> Response in
            await ServiceHTTP.respond { () throws(EconomyError) in
                try operatorCheck(req)
                let id = try Self.account(ctx)
                return ServiceHTTP.json(.ok, Inventory(accountId: id, items: try await run { () throws(PostgresStoreError) in
                    try await store.inventory(account: id)
                }))
            }
        }
    }
}
