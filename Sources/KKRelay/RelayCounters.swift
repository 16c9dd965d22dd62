/// Why the relay dropped a datagram, packet or input: one counter family with a `reason` label.
public enum RelayDropReason: String, CaseIterable, Sendable {
    case malformed, badChecksum = "bad_checksum", wrongVersion = "wrong_version", wrongProtocol = "wrong_protocol"
    case replayed, tooOld = "too_old", notPlaying = "not_playing", unexpectedPacket = "unexpected_packet"
    case inputTooFarAhead = "input_too_far_ahead", mergerFull = "merger_full", shardUnavailable = "shard_unavailable"
    case rateLimited = "rate_limited", handshakeRateLimited = "handshake_rate_limited", sessionLimit = "session_limit"
    case handshakeLimit = "handshake_limit", dtlsFailed = "dtls_failed", tokenRejected = "token_rejected"
    case cookieInvalid = "cookie_invalid", notDTLS = "not_dtls", bandwidthCap = "bandwidth_cap"
    case sendQueueFull = "send_queue_full", unknownMatch = "unknown_match", draining
}

/// Counters of one relay process, owned by the loop thread and synced to metrics each second.
public struct RelayCounters: Sendable {
    public var drops = [Int](repeating: 0, count: RelayDropReason.allCases.count)
    public var datagramsIn = 0, datagramsOut = 0, bytesIn = 0, bytesOut = 0
    public var handshakesStarted = 0, handshakesOK = 0, handshakesFailed = 0
    public var helloVerifyRequests = 0
    public var inputsForwarded = 0, inputBatchesSent = 0
    public var framesFull = 0, framesDelta = 0, frameBytes = 0
    public var joins = 0, resumes = 0, joinsRefused = 0
    public var sessionsClosed = 0, idleTimeouts = 0

    public init() {}

    public mutating func drop(_ r: RelayDropReason, _ n: Int = 1) {
        drops[RelayDropReason.allCases.firstIndex(of: r)!] += n
    }

    public func drops(_ r: RelayDropReason) -> Int { drops[RelayDropReason.allCases.firstIndex(of: r)!] }
}
