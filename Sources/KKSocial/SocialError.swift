import Hummingbird
import KKAdmin
import KKPostgres

/// Why a social request was refused. Each case is one HTTP status and one stable `error` label.
public enum SocialError: ServiceHTTPError, Equatable, Sendable {
    /// Malformed body or field, or a request to oneself (400).
    case badRequest(String)
    /// No valid access token (401).
    case unauthorized
    /// Only the party's leader may (403).
    case forbidden(String)
    /// No such player, or one who blocked the caller (it looks the same: 404).
    case notFound(String)
    /// Already friends, already asked, a name taken, a blocked player (409).
    case conflict(String)
    /// PostgreSQL did not answer (503).
    case storeUnavailable(PostgresStoreError)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .storeUnavailable: .serviceUnavailable
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .storeUnavailable: "store_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let why), .notFound(let why), .conflict(let why), .forbidden(let why): why
        case .unauthorized: "a valid access token is required"
        case .storeUnavailable(let e): e.description
        }
    }
}
