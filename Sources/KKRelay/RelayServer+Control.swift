import KKLobbyCore
import KKLoop
import KKWire

extension RelayServer {
    /// The relay's id in Redis and on the control plane.
    public var relayId: String { registrationId }

    /// Connects to the lobby's control plane (loop thread, after ``start()``). Commands arrive
    /// on the loop thread; each is acked.
    public func attachControlPlane(url: String, secret: String, relayId: String? = nil, region: String = "local") throws(IOError) {
        let opts = RelayControlClient.Options(url: url, secret: secret, relayId: relayId ?? registrationId,
                                              address: "\(config.listenHost):\(port)", region: region)
        let c = try RelayControlClient(options: opts, loop: loop) { [unowned self] batch in
            for m in batch { control?.ack(apply(m)) }
            sendOutbound()
        }
        control = c
        c.start()
        logger.info("control plane: \(url) as \(opts.relayId)")
    }

    /// Carries out one lobby command (loop thread); the ack says what was done.
    func apply(_ m: RelayControlMessage) -> RelayControlMessage {
        if let problem = m.commandProblem { return .ack(ref: m.ref, ok: false, message: problem) }
        switch m.command ?? "" {
        case "drain":
            drain()
            return .ack(ref: m.ref, ok: true, message: "draining")
        case "kick":
            let n = core.kick(playerId: UInt64(m.account!), reason: .kicked)
            logger.info("control plane: kicked player \(m.account!) (\(n) sessions): \(m.reason ?? "")")
            return .ack(ref: m.ref, ok: true, message: "kicked \(n) sessions")
        case "ban":
            let until = core.unixSeconds + UInt64(m.seconds!)
            guard core.ban(playerId: UInt64(m.account!), untilUnixSeconds: until) else {
                return .ack(ref: m.ref, ok: false, message: "ban list full")
            }
            logger.info("control plane: banned player \(m.account!) for \(m.seconds!) s: \(m.reason ?? "")")
            return .ack(ref: m.ref, ok: true, message: "banned until \(until)")
        case "rateLimits":
            gate.setRateLimits(packetsPerSecond: m.packetsPerSecond, handshakesPerSecond: m.handshakesPerSecond)
            logger.info("control plane: rate limits now \(gate.packetsPerSecond) datagrams/s, \(gate.handshakesPerSecond) handshakes/s per address")
            return .ack(ref: m.ref, ok: true, message: "rate limits set")
        case "matchAssigned":
            core.prefetchRoute(matchId: m.matchId!)
            return .ack(ref: m.ref, ok: true, message: "route looked up")
        default:
            return .ack(ref: m.ref, ok: false, message: "unknown command")
        }
    }

    /// Once a second (loop thread): the load the control plane reports next.
    func reportControlLoad() {
        guard let control else { return }
        let inNow = core.counters.datagramsIn
        let pps = Double(max(0, inNow - lastDatagramsIn))
        lastDatagramsIn = inNow
        control.report(sessions: sessionCount, playing: core.sessionCounts.playing, packetsPerSecond: pps, draining: core.draining)
    }
}
