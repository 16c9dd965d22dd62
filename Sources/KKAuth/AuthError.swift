import Hummingbird
import KKAdmin
import KKPostgres

/// Why an auth request was refused. Each case is one HTTP status and one stable `error` label.
public enum AuthError: ServiceHTTPError, Equatable, Sendable {
    /// The request body or a field is malformed (400).
    case badRequest(String)
    /// No valid access token, or the session behind it was revoked (401).
    case unauthorized
    /// The refresh token is unknown, expired, revoked, or was used twice (401; a second use
    /// revokes its session: someone else holds a copy).
    case refreshRefused
    /// The email is taken, the account already has credentials, a device belongs elsewhere (409).
    case conflict(String)
    /// The thing named does not belong to the account (404).
    case notFound(String)
    /// Too many failed logins for this email in the current window (429).
    case tooManyAttempts(retryAfterSeconds: Int)
    /// PostgreSQL did not answer (503).
    case storeUnavailable(PostgresStoreError)
    /// The token could not be signed (500).
    case signingFailed(String)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .conflict: .conflict
        case .notFound: .notFound
        case .tooManyAttempts: .tooManyRequests
        case .unauthorized, .refreshRefused: .unauthorized
        case .storeUnavailable: .serviceUnavailable
        case .signingFailed: .internalServerError
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .conflict: "conflict"
        case .notFound: "not_found"
        case .tooManyAttempts: "too_many_attempts"
        case .unauthorized: "unauthorized"
        case .refreshRefused: "refresh_refused"
        case .storeUnavailable: "store_unavailable"
        case .signingFailed: "signing_failed"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let why): why
        case .conflict(let why): why
        case .notFound(let why): why
        case .tooManyAttempts(let s): "too many failed logins; try again in \(s) s"
        case .storeUnavailable(let e): e.description
        case .signingFailed(let why): why
        case .unauthorized: "a valid access token of a live session is required"
        case .refreshRefused: "the refresh token is unknown, expired, revoked or already used"
        }
    }

    public var extraHeaders: HTTPFields {
        if case .tooManyAttempts(let s) = self { return [.retryAfter: String(s)] }
        return [:]
    }
}
