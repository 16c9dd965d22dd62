/// Why the relay dropped a datagram, a packet, an input or a handshake: the one counter family
/// of the relay process, `kk_relay_packets_dropped_total{reason}`. The core counts protocol
/// drops; the I/O stages count address-gate, cookie-gate and DTLS drops under the same enum
/// (KKRelay maps `DTLSGateDropReason` and `DTLSError` onto it in one place).
public enum RelayDropReason: Int, CaseIterable, Sendable {
    // Packets of established sessions (the core).
    case malformed, badChecksum, wrongVersion, wrongProtocol, replayed, tooOld, notPlaying, unexpectedPacket
    case inputTooFarAhead, inputGoneAfterResume, mergerFull, shardUnavailable, bandwidthCap, unknownMatch, draining
    // Address gate and connection table (I/O stages).
    case rateLimited, handshakeRateLimited, sessionLimit, handshakeLimit, sendQueueFull, dtlsFailed
    // Cookie gate: a first datagram from an unknown address that is not a usable ClientHello.
    case gateTooShort, gateNotHandshake, gateBadRecordVersion, gateNonZeroEpoch, gateBadRecordLength
    case gateNotClientHello, gateFragmented, gateBadMessageSequence, gateUnsupportedVersion, gateTruncatedHello
    case gateNoRoomForResponse, gateBadPeerAddress
    // Handshakes that failed: the token in the PSK identity was refused (by reason), or DTLS failed.
    case tokenTruncated, tokenOversized, tokenBadEncoding, tokenWrongVersion, tokenWrongProtocol, tokenExpired
    case tokenNotYetValid, tokenUnknownKey, tokenAuthenticationFailed, tokenInvalidContent, tokenCryptoFailure
    case cookieInvalid, handshakeAlert, handshakeFailed, handshakeTimeout, dtlsProtocolError, dtlsSetupFailed
    // Records on an established session's address that cannot authenticate, dropped before
    // OpenSSL sees them (a forged datagram never ends a session or gets an alert).
    case recordTruncated, recordWrongVersion, recordStaleEpoch, recordFutureEpoch, recordUnexpectedType
    case recordTooShort, recordTooLong

    /// The `reason` label (snake case of the case name).
    public var label: String { Self.labels[rawValue] }

    private static let labels: [String] = allCases.map { reason in
        var out = ""
        for ch in String(describing: reason) {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// Counters of one relay process, owned by the loop thread and synced to metrics each second.
public struct RelayCounters: Sendable {
    public var drops = [Int](repeating: 0, count: RelayDropReason.allCases.count)
    public var datagramsIn = 0, datagramsOut = 0, bytesIn = 0, bytesOut = 0
    public var handshakesStarted = 0, handshakesOK = 0, handshakesFailed = 0
    public var helloVerifyRequests = 0
    /// Unauthenticated pings answered (``RelayPing``).
    public var pingsAnswered = 0
    public var inputsForwarded = 0, inputBatchesSent = 0
    /// Inputs forwarded again to a shard that adopted their match from an older snapshot.
    public var inputsReforwarded = 0
    /// Inputs for a tick the relay has already seen a frame of (forwarded; the shard counts what
    /// it could not apply): the relay's view of "late", next to the shard's.
    public var inputsLate = 0
    public var framesFull = 0, framesDelta = 0, frameBytes = 0
    public var joins = 0, resumes = 0, joinsRefused = 0
    /// Resume tickets sent to playing clients before their last one expired (``ResumeTicketPacket``).
    public var ticketsRenewed = 0
    /// Failover decisions by ``RelayFailoverReason``.
    public var failovers = [Int](repeating: 0, count: RelayFailoverReason.allCases.count)
    /// Control plane: sessions ended by `kick`/`ban`, sessions of banned players refused, routes
    /// resolved ahead on `matchAssigned`.
    public var kicks = 0, bannedRefusals = 0, routePrefetches = 0
    public var sessionsClosed = 0, idleTimeouts = 0
    /// Route lookups that failed (Redis error, shard not registered) and will be retried.
    public var routeLookupFailures = 0
    /// Cluster events on the Redis channel that did not parse.
    public var badClusterEvents = 0
    /// Input -> frame at the edge: from an input reaching the relay to the relay sending the
    /// first frame whose ack covers it.
    public var inputToFrame = LatencyBuckets()

    public init() {}

    public mutating func drop(_ r: RelayDropReason, _ n: Int = 1) { drops[r.rawValue] += n }

    public func drops(_ r: RelayDropReason) -> Int { drops[r.rawValue] }

    public mutating func failover(_ r: RelayFailoverReason, _ n: Int = 1) { failovers[r.rawValue] += n }

    public func failovers(_ r: RelayFailoverReason) -> Int { failovers[r.rawValue] }
}
