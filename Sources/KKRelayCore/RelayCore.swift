import KKDelta
import KKOrdering
import KKPhysics
import KKToken
import KKWire

/// The relay's protocol logic without sockets, crypto sessions or Redis: sessions after the
/// handshake, the input path (validate, replay window, per-player reorder, Z-order merge per
/// shard, batches), the frame path (one full state per match from the shard, delta-encoded per
/// client against that client's acknowledged frame) and the shard route table. Loop-thread only.
///
/// Like swift-nio-ssl's `SSLConnection`, it never calls out: the I/O layer feeds it events
/// (``clientPacket(_:_:nowMillis:)``, ``shardPacket(from:_:nowMillis:)``, route and link results,
/// ``housekeeping(nowMillis:unixSeconds:)``) and then sends what it queued, in order:
/// `for out in core.drainOutbound() { ... }`.
public final class RelayCore {
    public let config: RelayConfig
    public var counters = RelayCounters()
    /// True while draining: new sessions are refused, existing ones keep playing.
    public var draining = false
    /// Wall-clock seconds (resume tickets' validity), set by ``housekeeping(nowMillis:unixSeconds:)``.
    public private(set) var unixSeconds: UInt64 = 0

    public private(set) var sessions: [Int: RelaySession] = [:]
    var sessionsByMatch: [UInt64: [Int]] = [:]
    /// The shard each match's inputs and joins go to (set once its route is ready).
    var shardOfMatch: [UInt64: ShardID] = [:]
    var streams: [ShardID: ShardStream] = [:]
    var frames: [UInt64: FrameCache] = [:]
    var routes = ShardRoutes()
    let outbound = OutboundQueue<RelayTarget>()
    var deltaScratch: [UInt8] = []
    var stateScratch: [UInt8] = []
    /// Parse buffer for match frames, swapped with the frame cache's evicted slot.
    var parsedState = MatchState.empty
    private let tickets: TokenIssuer?

    /// Per-shard input stream: the Z-order merger and the batch sequence. A class so the
    /// per-input push mutates it through a reference (no dictionary `_modify` per input).
    final class ShardStream {
        /// Room for bursts when the loop was busy: 16k inputs (~420 KB) before a counted drop.
        var merger = ZOrderMerger(capacity: Limits.maxBatchEntries * 16)
        var batchSeq: UInt32 = 0
    }

    /// `tickets` issues the resume ticket carried in each Welcome (nil: none).
    public init(config: RelayConfig, tickets: TokenIssuer? = nil) {
        self.config = config
        self.tickets = tickets
        sessions.reserveCapacity(config.maxSessions)
        deltaScratch.reserveCapacity(Limits.datagramBufferBytes)
    }

    /// Everything queued since the last drain, in order; inputs merged since then are encoded
    /// into batches first. Drain to the end, and do not start a second drain while one runs:
    /// entries that calls into the core add meanwhile are yielded by the running one.
    public func drainOutbound() -> OutboundDrain<RelayTarget> {
        flushInputs()
        return outbound.drain()
    }

    // MARK: sessions

    /// A client finished its DTLS handshake with a valid token. A banned player's session ends
    /// at once (Disconnect `banned`, counted as ``RelayCounters/bannedRefusals``).
    public func sessionEstablished(_ id: Int, token: PrivateToken, nowMillis: UInt64) {
        sessions[id] = RelaySession(id: id, token: token, nowMillis: nowMillis, bytesPerSecond: config.maxClientBytesPerSecond)
        if let until = bans[token.playerId] {
            if until > unixSeconds {
                counters.bannedRefusals += 1
                disconnect(id, .banned)
            } else {
                bans[token.playerId] = nil
            }
        }
    }

    // MARK: control plane (the lobby's commands)

    /// Players banned until a wall-clock second (control plane `ban`).
    public private(set) var bans: [UInt64: UInt64] = [:]

    /// Ends every session of `playerId` with `reason` (control plane `kick`/`ban`); how many.
    @discardableResult
    public func kick(playerId: UInt64, reason: DisconnectReason) -> Int {
        let ids = sessions.values.filter { $0.playerId == playerId }.map(\.id)
        for id in ids { disconnect(id, reason) }
        counters.kicks += ids.count
        return ids.count
    }

    /// Bans `playerId` until `untilUnixSeconds` and ends their sessions; at most 100,000 bans
    /// are held (expired ones are dropped first; then the new ban is refused: false).
    @discardableResult
    public func ban(playerId: UInt64, untilUnixSeconds: UInt64) -> Bool {
        if bans.count >= 100_000 { bans = bans.filter { $0.value > unixSeconds } }
        guard bans.count < 100_000 || bans[playerId] != nil else { return false }
        bans[playerId] = untilUnixSeconds
        kick(playerId: playerId, reason: .banned)
        return true
    }

    /// A match was just placed (control plane `matchAssigned`): its route is looked up and its
    /// shard linked now, so its players' joins do not wait for it.
    public func prefetchRoute(matchId: UInt64) {
        counters.routePrefetches += 1
        _ = route(matchId)
    }

    /// The I/O layer ended a session (DTLS close or failure, eviction): tell the shard.
    public func sessionEnded(_ id: Int) {
        guard let s = sessions.removeValue(forKey: id) else { return }
        counters.sessionsClosed += 1
        sessionsByMatch[s.matchId]?.removeAll { $0 == id }
        if sessionsByMatch[s.matchId]?.isEmpty == true { sessionsByMatch[s.matchId] = nil; frames[s.matchId] = nil }
        if s.phase != .awaitingHello, let shard = shardOfMatch[s.matchId] {
            sendControl(LeavePacket(matchId: s.matchId, playerId: s.playerId, reason: .clientQuit), to: shard)
        }
    }

    /// Sends a Disconnect, ends the session and asks the I/O layer to close its connection.
    public func disconnect(_ id: Int, _ reason: DisconnectReason) {
        // Three copies (as netcode.io does): a lost Disconnect would leave the client waiting
        // out its silence timeout; the client ignores the copies after the first.
        for _ in 0..<Self.disconnectCopies { sendPacket(DisconnectPacket(reason: reason), to: id) }
        sessionEnded(id)
        outbound.append(.close(session: id, reason: reason))
    }

    /// Copies of each Disconnect sent.
    public static let disconnectCopies = 3

    /// Periodic work, about once a second: idle sessions are closed, failed route lookups are
    /// retried and matches whose shard stayed unreachable too long have their joins refused.
    public func housekeeping(nowMillis: UInt64, unixSeconds: UInt64) {
        self.unixSeconds = unixSeconds
        var expired: [Int] = []
        for (id, s) in sessions where nowMillis > s.lastHeardMillis + config.idleTimeoutMillis { expired.append(id) }
        for id in expired {
            counters.idleTimeouts += 1
            disconnect(id, .timeout)
        }
        retryRoutes(nowMillis: nowMillis)
        renewResumeTickets()
    }

    /// A resume ticket is renewed a quarter of its validity after it was issued: two renewals
    /// may be lost (they are unreliable datagrams) before the client's ticket runs out.
    var ticketRenewSeconds: UInt64 { max(1, config.resumeTicketSeconds / 4) }

    /// Sends a fresh resume ticket to every playing client whose last one is due for renewal:
    /// a race outlives a ticket, and a client whose ticket expired cannot resume elsewhere.
    private func renewResumeTickets() {
        guard tickets != nil else { return }
        for s in sessions.values where s.phase == .playing && unixSeconds >= s.ticketRenewAtSeconds {
            guard let ticket = issueResumeTicket(s) else { continue }
            counters.ticketsRenewed += 1
            sendPacket(ResumeTicketPacket(ticket: ticket), to: s.id)
        }
    }

    /// A fresh resume ticket for `s` (nil without an issuer), due for renewal
    /// ``ticketRenewSeconds`` from now: the Welcome's and every renewal's.
    private func issueResumeTicket(_ s: RelaySession) -> [UInt8]? {
        guard let tickets, let t = try? tickets.resumeTicket(for: s.token, now: unixSeconds, validSeconds: config.resumeTicketSeconds) else { return nil }
        s.ticketRenewAtSeconds = unixSeconds + ticketRenewSeconds
        return Array(t.utf8)
    }

    /// Sessions per phase (for /status).
    public var sessionCounts: (awaitingHello: Int, joining: Int, playing: Int) {
        var a = 0, j = 0, p = 0
        for s in sessions.values {
            switch s.phase { case .awaitingHello: a += 1; case .joining: j += 1; case .playing: p += 1 }
        }
        return (a, j, p)
    }

    // MARK: encoding into the outbound queue

    func sendPacket<P: WirePacket>(_ p: P, to id: Int) {
        outbound.append(.client(session: id)) { (w) throws(WireError) in try p.encode(protocolId: config.protocolId, into: &w) }
    }

    func sendControl<P: WirePacket>(_ p: P, to shard: ShardID) {
        outbound.append(.shard(shard, reliable: true)) { (w) throws(WireError) in try p.encode(protocolId: config.protocolId, into: &w) }
    }

    func sendWelcome(_ s: RelaySession, serverTick: UInt32? = nil) {
        let tick = serverTick ?? frames[s.matchId]?.latestTick ?? 0
        let ticket = issueResumeTicket(s) ?? []
        sendPacket(WelcomePacket(playerId: s.playerId, matchId: s.matchId, slot: s.slot, tickRate: s.tickRate,
                                 serverTick: tick, lastAppliedSeq: s.lastAppliedSeq, resumeTicket: ticket),
                   to: s.id)
    }
}
