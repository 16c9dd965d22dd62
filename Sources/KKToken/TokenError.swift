/// Why a connect token (or resume ticket) was refused. Each case is distinct so a relay can
/// count refusals by reason (``metricLabel``).
public enum TokenError: Error, Equatable, Sendable {
    /// Shorter than the fixed layout.
    case truncated
    /// Longer than the fixed layout (or than a PSK identity may be).
    case oversized
    /// Not base64url text.
    case badEncoding
    /// The token version byte is unknown.
    case wrongVersion
    /// Issued for another protocol / deployment.
    case wrongProtocol
    /// Past its expiry time (a replay outside the validity window).
    case expired
    /// Created in the future beyond the allowed clock skew.
    case notYetValid
    /// Sealed with a key this relay does not hold (key id unknown).
    case unknownKey
    /// The AEAD tag does not verify: a flipped bit, or a forged token.
    case authenticationFailed
    /// Decrypted, but a field is out of range (e.g. expiry before creation).
    case invalidContent
    /// The crypto library failed (not the token's fault).
    case cryptoFailure

    /// A short, stable label for metrics.
    public var metricLabel: String {
        switch self {
        case .truncated: "truncated"
        case .oversized: "oversized"
        case .badEncoding: "bad_encoding"
        case .wrongVersion: "wrong_version"
        case .wrongProtocol: "wrong_protocol"
        case .expired: "expired"
        case .notYetValid: "not_yet_valid"
        case .unknownKey: "unknown_key"
        case .authenticationFailed: "authentication_failed"
        case .invalidContent: "invalid_content"
        case .cryptoFailure: "crypto_failure"
        }
    }
}
