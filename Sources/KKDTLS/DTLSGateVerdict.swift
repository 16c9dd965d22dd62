/// What ``DTLSCookieGate`` decided about a first datagram from an unknown address.
public enum DTLSGateVerdict: Equatable, Sendable {
    /// A ClientHello without a cookie (`staleCookie` false) or with one that did not verify
    /// (true): send the first `length` bytes of the response buffer (a HelloVerifyRequest, never
    /// larger than the request) and keep no state.
    case sendHelloVerifyRequest(length: Int, staleCookie: Bool)
    /// A ClientHello whose cookie verifies for this address: the peer can receive at its address.
    /// Create a ``DTLSSession`` (server) and feed it this datagram.
    case startSession
    /// Not a usable first datagram: count it under `reason` and drop it.
    case drop(DTLSGateDropReason)
}

/// Why the cookie gate dropped a datagram (one counter with a `reason` label).
public enum DTLSGateDropReason: UInt8, CaseIterable, Error, Equatable, Sendable {
    /// Shorter than a record header.
    case tooShort
    /// Not a handshake record.
    case notHandshake
    /// Record major version is not DTLS (0xFE).
    case badRecordVersion
    /// A non-zero epoch: encrypted traffic for a session this relay does not have.
    case nonZeroEpoch
    /// Record length runs past the datagram, or the handshake header does not fit it.
    case badRecordLength
    /// A handshake message other than ClientHello.
    case notClientHello
    /// A fragmented ClientHello (the gate only takes whole ones).
    case fragmented
    /// message_seq above 2.
    case badMessageSequence
    /// client_version older than DTLS 1.2 or not a DTLS version.
    case unsupportedVersion
    /// The body ends before the cookie (or its session id / cookie length is out of range).
    case truncatedHello
    /// The response buffer is too small, or the response would be larger than the request.
    case noRoomForResponse
    /// The peer address is longer than ``DTLSCookieKey/maxPeerBytes``.
    case badPeerAddress

    /// A short, stable label for metrics.
    public var metricLabel: String {
        switch self {
        case .tooShort: "too_short"
        case .notHandshake: "not_handshake"
        case .badRecordVersion: "bad_record_version"
        case .nonZeroEpoch: "non_zero_epoch"
        case .badRecordLength: "bad_record_length"
        case .notClientHello: "not_client_hello"
        case .fragmented: "fragmented"
        case .badMessageSequence: "bad_message_sequence"
        case .unsupportedVersion: "unsupported_version"
        case .truncatedHello: "truncated_hello"
        case .noRoomForResponse: "no_room_for_response"
        case .badPeerAddress: "bad_peer_address"
        }
    }
}
