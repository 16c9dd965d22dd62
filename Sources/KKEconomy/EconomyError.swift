import Hummingbird
import KKAdmin
import KKPostgres

/// Why an economy route refused (the `error` code of the body is stable; docs/openapi/economy.json).
public enum EconomyError: ServiceHTTPError, Equatable {
    case badRequest(String)
    case unauthorized
    /// An operator route without the operator credential.
    case notOperator
    /// Operator routes are off (no credential configured).
    case operatorOff
    case unknownItem(String)
    case notFound(String)
    /// A refusal that leaves everything as it was: `label` is one of stale_price, already_owned,
    /// insufficient_funds, not_for_sale, idempotency_key_reused, already_refunded, not_refundable.
    case refused(label: String, message: String)
    case storeUnavailable(PostgresStoreError)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized, .notOperator: .unauthorized
        case .operatorOff, .storeUnavailable: .serviceUnavailable
        case .unknownItem, .notFound: .notFound
        case .refused: .conflict
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .notOperator: "not_operator"
        case .operatorOff: "operator_routes_off"
        case .unknownItem: "unknown_item"
        case .notFound: "not_found"
        case .refused(let l, _): l
        case .storeUnavailable: "store_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m): m
        case .unauthorized: "a valid access token is required (Authorization: Bearer)"
        case .notOperator: "the operator credential is required"
        case .operatorOff: "operator routes are off: start kk-services with --operator-secret"
        case .unknownItem(let i): "no item '\(i)' in the catalog"
        case .refused(_, let m): m
        case .storeUnavailable(let e): "the economy store is unavailable: \(e)"
        }
    }
}
