/// Result of driving a handshake one step (swift-nio-ssl's `AsyncOperationResult`).
public enum DTLSAdvance: Equatable, Sendable {
    /// Needs more datagrams from the peer (or a timer): drain outgoing, then wait.
    case wantMore
    /// The handshake is complete; for a server session ``DTLSSession/token`` is set.
    case established
    /// The session is dead; drain outgoing once (an alert may be queued) and drop it.
    case failed(DTLSError)
}
