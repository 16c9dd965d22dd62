import Glibc
import KKClient
import KKClientTransport
import KKDTLS
import KKLoop
import KKPhysics
import KKToken
import KKWire

/// The client SDK a game embeds: a ``ClientSession`` (prediction, rollback, smoothing) driven at
/// 60 Hz on a libuv loop, talking DTLS to a relay from the token's relay list, and moving to the
/// next relay with its resume ticket when the relay stops answering or drains. No global state:
/// many clients can share one loop (the load generator does). Loop-thread only.
public final class GameClient {
    /// Where input comes from each tick (keyboard, bot, engine).
    public typealias InputSource = (_ state: MatchState?, _ slot: Int?) -> KartInput

    public let session: ClientSession
    public let loop: EventLoop
    public private(set) var token: ConnectToken
    private let context: DTLSClientContext
    private var transport: DTLSClientTransport?
    private let timer: LoopTimer
    private var clock: TickClock
    private let input: InputSource
    private var relayIndex = 0
    /// A draining relay's move: when to switch, and moves since the last Welcome.
    private var moveAtMillis: UInt64?
    private var movesWithoutWelcome = 0
    private var lastHeardMillis: UInt64 = 0
    /// A relay silent this long while playing is given up for the next one.
    /// A fixed silence after which the relay counts as dead, ms; nil (the default): adaptive,
    /// from the frame interval, measured loss, RTT and jitter, with probes first (``RelayWatch``).
    public var relayTimeoutMillis: UInt64?
    private var lastProbeMillis: UInt64 = 0
    /// When the previous timer round ran.
    private var lastRoundMillis: UInt64 = 0
    /// Timer rounds that came over ``heldUpMillis`` after the previous one: the client's thread
    /// was held up (a game's hitch, or polled that seldom), so what the relay sent meanwhile was
    /// still unread; such a round judges the relay's silence as of the previous round.
    public private(set) var heldUpRounds = 0
    /// A round this late after the previous one means the thread was held up, not the relay.
    static let heldUpMillis: UInt64 = 100
    /// Handshakes refused with `unknown_psk_identity` (an expired or foreign ticket) since the
    /// last one that succeeded.
    private var resumeRefusals = 0
    /// A handshake unfinished after this long is abandoned for the next relay of the token (the
    /// same one again when it is the only one). Within an attempt OpenSSL retransmits each
    /// flight (250 ms, 500 ms, then every second).
    public var handshakeTimeoutMillis: UInt64 = 5_000
    /// How long a first connection is tried, relay after relay with a growing pause between
    /// attempts (250 ms doubling to 2 s), before the session ends with
    /// ``EndReason/relayUnreachable``: the bound a player waits at most.
    public var connectTimeoutMillis: UInt64 = 15_000
    private var handshakeStartedMillis: UInt64 = 0
    /// When the first connection attempt started (nil once connected).
    private var connectStartedMillis: UInt64?
    /// Connection attempts made so far (the running one included), and when the next one starts.
    public private(set) var connectAttempts = 1
    private var retryAtMillis: UInt64?
    /// Relay changes so far (resumes), whatever their reason.
    public var relayChanges: Int { failovers.values.reduce(0, +) }
    /// Relay changes by why they were decided (a game shows "reconnecting" and may say why).
    public private(set) var failovers: [FailoverReason: Int] = [:]
    /// The newest relay change's reason (nil before any).
    public private(set) var lastFailover: FailoverReason?
    /// Called when the client decides to move to another relay (before it reconnects).
    public var onFailover: ((GameClient, FailoverReason) -> Void)?
    /// Why the current move was requested (the relay's drain or its closed connection).
    private var pendingMoveReason: FailoverReason = .relayDraining
    /// Handshake durations, ms (for load reports).
    public private(set) var handshakeMillis: [UInt64] = []
    /// Called after each tick (UI, load statistics).
    public var onTick: ((GameClient) -> Void)?
    private var stopped = false
    private var closedBytes = (up: 0, down: 0)
    private var closedWire = (0, 0, 0, 0)

    /// Creates a client for `token` (from the match service) and starts connecting at once.
    public init(loop: EventLoop, token: ConnectToken, config: ClientConfig = ClientConfig(),
                input: @escaping InputSource) throws(ClientSDKError) {
        guard !token.relays.isEmpty else { throw .noRelay }
        self.loop = loop
        self.token = token
        self.input = input
        var config = config
        if config.trace == nil, let t = SDKTrace.current { config.trace = t.context() }
        do { session = try ClientSession(config: config) } catch { throw .config(error) }
        do { context = try DTLSClientContext() } catch { throw .dtls(error) }
        timer = LoopTimer(loop: loop)
        loop.updateTime()
        clock = TickClock(ticksPerSecond: MatchSimulation.ticksPerSecond, startNanos: monotonicNanos())
        session.start(nowMillis: loop.nowMillis)
        if token.expireTime <= UInt64(time(nil)) {
            // Say so at once rather than after a refused handshake.
            session.connectionFailed(.tokenExpired)
        } else {
            connectStartedMillis = loop.nowMillis
            connect()
        }
        timer.start(afterMillis: 1) { [unowned self] in self.onTimer() }
    }

    /// The relay in use ("host:port").
    public var relay: String { token.relays[relayIndex % token.relays.count] }

    private func connect() {
        guard let address = PeerAddress(relay) else { session.connectionFailed(.unreachable); return }
        let now = loop.nowMillis
        handshakeStartedMillis = now
        session.handshakeStarted(relay: relay, nowMillis: now)
        do {
            let t = try DTLSClientTransport(loop: loop, relay: address, token: token, context: context)
            t.onPacket = { [unowned self] bytes in
                lastHeardMillis = loop.nowMillis
                try? session.receive(bytes, nowMillis: loop.nowMillis)
                flushOutgoing()
            }
            t.onState = { [unowned self, unowned t] s in
                switch s {
                case .established:
                    resumeRefusals = 0
                    lastHeardMillis = loop.nowMillis
                    connectStartedMillis = nil
                    handshakeMillis.append((t.establishedMillis ?? loop.nowMillis) - t.startedMillis)
                    session.handshakeCompleted(nowMillis: loop.nowMillis)
                    flushOutgoing()
                case .failed(let error):
                    // Alert 115 (unknown_psk_identity): the relay refused the token or the resume
                    // ticket itself. Joining: the token is no good. Resuming: another relay may
                    // take the ticket (it is sealed with the region's key), but once there were
                    // as many refusals as relays since the last handshake that worked, no
                    // handshake will do: the session ends (the game fetches a new token) instead
                    // of handshaking in a loop.
                    let refused = error == .alertReceived(115)
                    if refused { resumeRefusals += 1 }
                    if refused && (session.state != .playing && session.state != .resuming || resumeRefusals >= token.relays.count) {
                        session.connectionFailed(.tokenExpired)
                    } else {
                        handshakeGaveUp(error == .timeout ? .relayUnreachable : .handshakeFailed)
                    }
                case .closed:
                    // The relay closed the connection while we play (its Disconnect was lost, or
                    // it went away politely): resume elsewhere at once instead of waiting out
                    // the silence.
                    if session.state == .playing {
                        session.moveRequested = true
                        pendingMoveReason = .relayClosed
                    }
                case .handshaking:
                    break
                }
            }
            transport = t
        } catch {
            session.connectionFailed(.unreachable)
        }
    }

    /// The handshake with the current relay failed or timed out: while playing, resume on the
    /// next relay; while joining, try the relays not tried yet, then give up with `failure`.
    private func handshakeGaveUp(_ failure: TransportFailure) {
        if session.state == .playing || session.state == .resuming {
            switchRelay(reason: .handshakeFailed)
            return
        }
        transport?.close()
        transport = nil
        let now = loop.nowMillis
        guard now < (connectStartedMillis ?? now) + connectTimeoutMillis else {
            session.connectionFailed(failure)
            return
        }
        // The next relay (the same one when there is one), after a pause that grows with the
        // attempts so a relay that is down, or a path that loses everything, is not hammered.
        relayIndex += 1
        retryAtMillis = now + min(2_000, 250 << UInt64(min(connectAttempts - 1, 3)))
        connectAttempts += 1
    }

    /// Moves to the next relay in the list, presenting the resume ticket when there is one.
    public func switchRelay() { switchRelay(reason: .manual) }

    private func switchRelay(reason: FailoverReason) {
        failovers[reason, default: 0] += 1
        lastFailover = reason
        onFailover?(self, reason)
        if let t = transport {
            closedBytes.up += t.bytesSent; closedBytes.down += t.bytesReceived
            closedWire = (closedWire.0 + t.wireBytesSent, closedWire.1 + t.wireBytesReceived,
                          closedWire.2 + t.datagramsSent, closedWire.3 + t.datagramsReceived)
        }
        transport?.close()
        transport = nil
        relayIndex += 1
        if !session.resumeTicket.isEmpty {
            token.sealed = String(decoding: session.resumeTicket, as: UTF8.self)
        }
        session.relayChanged(relay: relay, nowMillis: loop.nowMillis)
        connect()
    }

    private func onTimer() {
        guard !stopped else { return }
        let (ticks, sleep) = clock.due(nowNanos: monotonicNanos())
        let now = loop.nowMillis
        // The loop (libuv 1.44, Debian 12's) runs its timers before it reads the sockets: after a
        // hitch, frames that came meanwhile are still unread, and judging the relay silent as of
        // now would switch for nothing. A late round judges as of the previous round (what was
        // read by then); a real silence still grows round by round, however slow the rounds.
        let previousRound = lastRoundMillis
        let heldUp = previousRound != 0 && now > previousRound + Self.heldUpMillis
        lastRoundMillis = now
        if heldUp { heldUpRounds += 1 }
        let judgedAt = heldUp ? previousRound : now
        for _ in 0..<ticks {
            let state = session.renderState()
            session.update(nowMillis: now, input: input(state, session.slot))
            onTick?(self)
        }
        flushOutgoing()
        if transport == nil, let at = retryAtMillis, now >= at {
            retryAtMillis = nil
            connect()
        }
        if session.moveRequested {
            // The relay drains: move now, or (refused again while resuming: the route has not
            // moved yet) after a pause that grows with the attempts.
            session.moveRequested = false
            movesWithoutWelcome += 1
            moveAtMillis = now + (movesWithoutWelcome <= 1 ? 0 : min(2_000, 100 << UInt64(min(movesWithoutWelcome - 2, 4))))
        }
        if session.state == .playing { movesWithoutWelcome = 0 }
        if let at = moveAtMillis, now >= at {
            moveAtMillis = nil
            switchRelay(reason: pendingMoveReason)
            pendingMoveReason = .relayDraining
        } else if session.state == .playing, transport?.state == .established {
            let timeout = relayTimeoutMillis.map(Double.init) ?? session.relayTimeoutMillis
            let silent = Double(judgedAt &- min(judgedAt, lastHeardMillis))
            if silent > timeout {
                switchRelay(reason: .relaySilent)
            } else if session.relayWatch.shouldProbe(silentMillis: silent, sinceProbeMillis: Double(now &- min(now, lastProbeMillis)),
                                                     timeoutMillis: timeout) {
                lastProbeMillis = now
                session.probe(nowMillis: now)
                flushOutgoing()
            }
        } else if let t = transport, t.state == .handshaking, judgedAt > handshakeStartedMillis + handshakeTimeoutMillis {
            handshakeGaveUp(.relayUnreachable)
        }
        if case .ended = session.state { stop(); return }
        timer.again(afterMillis: max(1, sleep))
    }

    private func flushOutgoing() {
        guard let t = transport, t.state == .established else { return }
        session.drainOutgoing { bytes in t.send(bytes) }
    }

    /// Quits the match (sends Disconnect) and stops.
    public func quit() {
        session.quit(nowMillis: loop.nowMillis)
        flushOutgoing()
        stop()
    }

    /// Stops ticking and closes the transport.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        timer.stop()
        timer.close()
        transport?.close()
    }

    /// Bytes sent and received on the current transport.
    public var transportBytes: (up: Int, down: Int) { (transport?.bytesSent ?? 0, transport?.bytesReceived ?? 0) }

    /// Plaintext bytes sent and received over every transport of this client (relay changes included).
    public var totalTransportBytes: (up: Int, down: Int) {
        (closedBytes.up + (transport?.bytesSent ?? 0), closedBytes.down + (transport?.bytesReceived ?? 0))
    }

    /// UDP payload bytes (DTLS records with headers and AEAD tags, handshakes included) and
    /// datagrams sent and received over every transport of this client.
    public var wireTotals: (bytesUp: Int, bytesDown: Int, datagramsUp: Int, datagramsDown: Int) {
        (closedWire.0 + (transport?.wireBytesSent ?? 0), closedWire.1 + (transport?.wireBytesReceived ?? 0),
         closedWire.2 + (transport?.datagramsSent ?? 0), closedWire.3 + (transport?.datagramsReceived ?? 0))
    }

    /// True once stopped (session ended, quit, or ``stop()``).
    public var isStopped: Bool { stopped }
}

/// Errors of the client SDK.
public enum ClientSDKError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connect token lists no relay.
    case noRelay
    /// The client configuration is invalid.
    case config(ClientError)
    /// The DTLS client context could not be set up.
    case dtls(DTLSError)
    /// The transport to a relay could not start.
    case transport(ClientTransportError)

    public var description: String {
        switch self {
        case .noRelay: "the connect token lists no relay"
        case .config(let e): "bad client configuration: \(e)"
        case .dtls(let e): "DTLS setup failed: \(e)"
        case .transport(let e): "cannot open the connection to the relay: \(e)"
        }
    }
}

/// Why a ``GameClient`` moved to another relay.
public enum FailoverReason: String, Sendable, CaseIterable, Hashable {
    /// Nothing heard for longer than the measured path explains (``KKClient/RelayWatch``).
    case relaySilent = "relay_silent"
    /// The relay told its clients to move (it drains).
    case relayDraining = "relay_draining"
    /// The relay closed the connection while the client played.
    case relayClosed = "relay_closed"
    /// The handshake with the next relay failed or timed out while resuming.
    case handshakeFailed = "handshake_failed"
    /// The game asked for it (``GameClient/switchRelay()``).
    case manual
}
