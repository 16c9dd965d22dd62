import KKWire

/// Where a ``ClientSession`` is in its life.
public enum ClientState: Equatable, Sendable {
    /// Created, not started.
    case idle
    /// Asking the match service / opening the transport.
    case connecting
    /// DTLS handshake with a relay in progress (driven by the transport).
    case handshaking
    /// Hello sent, waiting for Welcome.
    case joining
    /// Welcome received: inputs up, frames down.
    case playing
    /// The relay changed (route flip, relay died or draining): the transport re-handshakes
    /// elsewhere, then the session sends Hello(resume) and waits for Welcome.
    case resuming
    /// Over, for good.
    case ended(EndReason)

    /// One line a player understands.
    public var message: String {
        switch self {
        case .idle: "not connected"
        case .connecting: "contacting the match service..."
        case .handshaking: "connecting securely to the game relay..."
        case .joining: "joining the match..."
        case .playing: "connected"
        case .resuming: "relay changed; reconnecting..."
        case .ended(let r): r.message
        }
    }

    public var isEnded: Bool { if case .ended = self { true } else { false } }
}

/// Why a session ended.
public enum EndReason: Equatable, Sendable {
    /// The relay sent Disconnect with this reason.
    case server(DisconnectReason)
    /// The transport could not reach the match service or any relay.
    case unreachable
    /// No relay of the token's list answered the handshake in time.
    case relayUnreachable
    /// The DTLS handshake was refused or failed.
    case handshakeFailed
    /// The connect token (or resume ticket) expired.
    case tokenExpired
    /// Nothing heard for too long, or no Welcome in time.
    case timedOut
    /// The player quit.
    case quit

    /// Words a player can understand.
    public var message: String {
        switch self {
        case .server(let r): r.message
        case .unreachable: "cannot reach the match service; check your connection"
        case .relayUnreachable: "no game relay answered; check your connection (is UDP blocked?)"
        case .handshakeFailed: "could not connect securely to the game relay (handshake failed)"
        case .tokenExpired: DisconnectReason.tokenExpired.message
        case .timedOut: DisconnectReason.timeout.message
        case .quit: DisconnectReason.clientQuit.message
        }
    }
}

/// What the transport reports when it cannot go on.
public enum TransportFailure: Equatable, Sendable {
    case unreachable
    case relayUnreachable
    case handshakeFailed
    case tokenExpired
}
