import KKToken

/// Why a DTLS context, session or datagram operation failed. One enum for the module; OpenSSL
/// results are mapped to it in exactly one place (`DTLSSession+Errors.swift`).
public enum DTLSError: Error, Equatable, Sendable {
    /// OpenSSL refused the context or session settings (cipher list, groups, key file, ...).
    case setupFailed(OpenSSLErrorStack)
    /// A configuration value is out of range (e.g. a cookie secret shorter than 16 bytes).
    case invalidConfiguration
    /// The PSK identity (a sealed connect token) was refused; the reason is the validator's.
    case tokenRejected(TokenError)
    /// The session's first datagram was not a ClientHello carrying a cookie valid for its peer.
    case cookieInvalid
    /// The peer sent a fatal alert during the handshake (TLS alert description, e.g. 115
    /// `unknown_psk_identity` when the relay refused our token).
    case alertReceived(UInt8)
    /// The handshake failed for another reason (the captured OpenSSL error queue says why).
    case handshakeFailed(OpenSSLErrorStack)
    /// The peer closed the session (close_notify).
    case peerClosed
    /// A fatal protocol error after the handshake.
    case protocolError(OpenSSLErrorStack)
    /// Too many retransmissions without an answer.
    case timeout
    /// Application data before the handshake completed.
    case notEstablished
    /// The session already failed or was shut down.
    case closed
    /// A plaintext datagram larger than `Limits.maxDatagramBytes`.
    case datagramTooLarge
    /// The caller's buffer cannot hold the next ciphertext datagram.
    case bufferTooSmall

    /// A short, stable label for metrics (`reason` label).
    public var metricLabel: String {
        switch self {
        case .setupFailed: "setup_failed"
        case .invalidConfiguration: "invalid_configuration"
        case .tokenRejected(let t): "token_" + t.metricLabel
        case .cookieInvalid: "cookie_invalid"
        case .alertReceived: "alert_received"
        case .handshakeFailed: "handshake_failed"
        case .peerClosed: "peer_closed"
        case .protocolError: "protocol_error"
        case .timeout: "timeout"
        case .notEstablished: "not_established"
        case .closed: "closed"
        case .datagramTooLarge: "datagram_too_large"
        case .bufferTooSmall: "buffer_too_small"
        }
    }
}
