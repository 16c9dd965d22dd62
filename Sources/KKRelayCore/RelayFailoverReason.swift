/// A failover decision the relay took, by why: `kk_relay_failovers_total{reason}`. The client's
/// side of the same events is the SDK's `FailoverReason` (relay_silent, relay_draining, ...).
public enum RelayFailoverReason: Int, CaseIterable, Sendable {
    /// A client resumed its session here after leaving another relay (one per session).
    case clientResumed
    /// The Redis event channel named a new owner for a match: its stream re-routed (one per match).
    case shardOwnerChanged
    /// The ENet link to a shard went down: its matches re-routed through fresh lookups (one per match).
    case shardLinkLost
    /// This relay, draining, told its sessions to move (one per session).
    case drainMove

    /// The `reason` label.
    public var label: String {
        switch self {
        case .clientResumed: "client_resumed"
        case .shardOwnerChanged: "shard_owner_changed"
        case .shardLinkLost: "shard_link_lost"
        case .drainMove: "drain_move"
        }
    }
}
