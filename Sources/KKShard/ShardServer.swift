import KKENet
import KKLoop
import KKPhysics
import KKShardCore
import KKWire
import Logging

/// A running shard: the ``ShardCore`` driven by one libuv loop, with an ENet host for relays
/// and a drift-corrected 60 Hz tick timer. Each relay's ENet peer gets a ``RelayLink`` id; what
/// the core queues is sent after every batch of ENet events and after every tick. Redis
/// registration, allocation and failover plug in through ``ShardRegistry``. Loop-thread only.
public final class ShardServer {
    public let config: ShardConfig
    public let core: ShardCore
    public let loop: EventLoop
    public let endpoint: ENetEndpoint
    private let tickTimer: LoopTimer
    private var clock: TickClock
    private let logger: Logger
    private var linkOf: [ENetPeerHandle: RelayLink] = [:]
    private var peerOf: [RelayLink: ENetPeerHandle] = [:]
    private var nextLink: UInt32 = 1
    /// Nanoseconds spent in the last tick (all matches).
    public private(set) var lastTickNanos: UInt64 = 0
    /// Called after every tick with its duration in nanoseconds (metrics histogram).
    public var onTick: ((UInt64) -> Void)?
    /// Called after each tick with the tick count (snapshots, heartbeats).
    public var afterTick: ((UInt64) -> Void)?
    /// A join for a match this shard does not host: return true to hold it (the registry looks
    /// the match up and calls ``replayJoin(_:from:)``); false refuses it now.
    public var onUnknownMatch: ((JoinRequestPacket, RelayLink) -> Bool)?
    /// Packets the ENet host refused to send.
    public private(set) var sendFailures = 0
    private var tickCount: UInt64 = 0
    /// True while draining: no new matches are taken.
    public var draining = false

    public init(config: ShardConfig, loop: EventLoop, logger: Logger) throws(ShardServerError) {
        let problems = config.validate()
        guard problems.isEmpty else { throw .badConfig(problems) }
        self.config = config
        self.loop = loop
        self.logger = logger
        core = ShardCore(config: config, library: try TrackFiles.library(directory: config.tracksDir))
        do {
            endpoint = try ENetEndpoint(loop: loop, bind: (config.enetHost, config.enetPort), maxPeers: 256)
        } catch {
            throw .enet(error)
        }
        tickTimer = LoopTimer(loop: loop)
        loop.updateTime()
        clock = TickClock(ticksPerSecond: MatchSimulation.ticksPerSecond, startNanos: monotonicNanos())
    }

    /// The ENet port (useful with port 0).
    public var port: UInt16 { endpoint.port }
    /// Relays currently connected.
    public var relayCount: Int { peerOf.count }

    /// Starts serving relays and ticking.
    public func start() {
        endpoint.start(afterEvents: { [unowned self] in sendOutbound() }) { [unowned self] event in handle(event) }
        scheduleTick(afterMillis: 1)
        logger.info("shard listening", metadata: ["id": "\(config.id)", "enet": "\(config.enetHost):\(port)"])
    }

    private func handle(_ event: ENetEvent) {
        switch event {
        case .connected(let peer, _):
            let link = RelayLink(nextLink)
            nextLink &+= 1
            linkOf[peer] = link
            peerOf[link] = peer
            logger.info("relay connected", metadata: ["relay": "\(peer.address)", "link": "\(link)"])
        case .disconnected(let peer):
            guard let link = linkOf.removeValue(forKey: peer) else { return }
            peerOf[link] = nil
            core.relayLost(link)
            logger.info("relay disconnected", metadata: ["relay": "\(peer.address)", "link": "\(link)"])
        case .received(let peer, _, let bytes):
            guard let link = linkOf[peer] else { return }
            core.receive(bytes, from: link)
        }
    }

    /// Carries out what the core queued, in order. A call made while it runs (the registry
    /// replaying a held join from a synchronous Redis reply) drains nothing: what it queued is
    /// delivered by the running pass (the queue knows it is being drained).
    func sendOutbound() {
        for out in core.drainOutbound() {
            switch out.target {
            case .relay(let link, let reliable):
                guard let peer = peerOf[link], endpoint.send(out.bytes, to: peer, reliable: reliable) else { sendFailures += 1; continue }
            case .unknownMatch(let j, let link):
                if onUnknownMatch?(j, link) != true { core.refuseJoin(j, from: link) }
            }
        }
        endpoint.flush()
    }

    private func scheduleTick(afterMillis: UInt64) {
        tickTimer.start(afterMillis: afterMillis) { [unowned self] in onTimer() }
    }

    private func onTimer() {
        let (ticks, sleep) = clock.due(nowNanos: monotonicNanos())
        if ticks > 1 { core.counters.tickOverruns += 1 }
        for _ in 0..<ticks {
            let t0 = monotonicNanos()
            core.tick()
            lastTickNanos = monotonicNanos() - t0
            onTick?(lastTickNanos)
            tickCount += 1
            afterTick?(tickCount)
        }
        sendOutbound()
        scheduleTick(afterMillis: max(1, sleep))
    }

    /// Handles again a JoinRequest that waited for its match to be looked up (refused if the
    /// match is still not hosted here).
    public func replayJoin(_ j: JoinRequestPacket, from relay: RelayLink) {
        if core.matches[j.matchId] != nil { core.handleJoin(j, from: relay) } else { core.refuseJoin(j, from: relay) }
        sendOutbound()
    }

    /// Refuses a JoinRequest that waited for its match to be looked up, with `result`.
    public func refuseJoin(_ j: JoinRequestPacket, from relay: RelayLink, result: JoinReplyPacket.Result) {
        core.refuseJoin(j, from: relay, result: result)
        sendOutbound()
    }

    /// Ticks the clock skipped because the loop fell behind.
    public var skippedTicks: Int { clock.skippedTicks }

    /// Stops ticking and closes the ENet host (relays see a disconnect).
    public func stop() {
        tickTimer.stop()
        tickTimer.close()
        for peer in peerOf.values { endpoint.disconnect(peer) }
        endpoint.flush()
        endpoint.close()
    }
}

/// Why a shard process could not start.
public enum ShardServerError: Error, Equatable, Sendable {
    /// The configuration is invalid (each problem named).
    case badConfig([String])
    /// The ENet host could not be created (port in use, bad address).
    case enet(ENetError)
}
