import KKENet
import KKLoop
import KKPhysics
import KKWire
import Logging

/// A running shard: the ``ShardCore`` driven by one libuv loop, with an ENet host for relays
/// and a drift-corrected 60 Hz tick timer. Redis registration, allocation and failover plug in
/// through ``ShardRegistryHooks``. Loop-thread only.
public final class ShardServer {
    public let config: ShardConfig
    public let core: ShardCore<ENetPeerHandle>
    public let loop: EventLoop
    public let endpoint: ENetEndpoint
    private var output: ENetShardOutput
    private let tickTimer: LoopTimer
    private var clock: TickClock
    private let logger: Logger
    /// Relays currently connected.
    public private(set) var relays: Set<ENetPeerHandle> = []
    /// Nanoseconds spent in the last tick (all matches).
    public private(set) var lastTickNanos: UInt64 = 0
    /// Called after every tick with its duration in nanoseconds (metrics histogram).
    public var onTick: ((UInt64) -> Void)?
    /// Called after each tick with the tick count (snapshots, heartbeats).
    public var afterTick: ((UInt64) -> Void)?
    private var tickCount: UInt64 = 0
    /// True while draining: no new matches are taken.
    public var draining = false

    public init(config: ShardConfig, loop: EventLoop, logger: Logger) throws(ShardError) {
        let problems = config.validate()
        guard problems.isEmpty else { throw .badConfig(problems) }
        self.config = config
        self.loop = loop
        self.logger = logger
        core = ShardCore(config: config)
        do {
            endpoint = try ENetEndpoint(loop: loop, bind: (config.enetHost, config.enetPort), maxPeers: 256)
        } catch {
            throw .io("ENet host on \(config.enetHost):\(config.enetPort): \(error)")
        }
        output = ENetShardOutput(endpoint: endpoint)
        tickTimer = LoopTimer(loop: loop)
        loop.updateTime()
        clock = TickClock(ticksPerSecond: MatchSimulation.ticksPerSecond, startNanos: monotonicNanos())
    }

    /// The ENet port (useful with port 0).
    public var port: UInt16 { endpoint.port }

    /// Starts serving relays and ticking.
    public func start() {
        endpoint.start { [unowned self] event in self.handle(event) }
        scheduleTick(afterMillis: 1)
        logger.info("shard listening", metadata: ["id": "\(config.id)", "enet": "\(config.enetHost):\(port)"])
    }

    private func handle(_ event: ENetEvent) {
        switch event {
        case .connected(let peer, _):
            relays.insert(peer)
            logger.info("relay connected", metadata: ["relay": "\(peer.address)"])
        case .disconnected(let peer):
            relays.remove(peer)
            core.relayLost(peer)
            logger.info("relay disconnected", metadata: ["relay": "\(peer.address)"])
        case .received(let peer, _, let bytes):
            core.receive(bytes, from: peer, output: &output)
        }
    }

    private func scheduleTick(afterMillis: UInt64) {
        tickTimer.start(afterMillis: afterMillis) { [unowned self] in self.onTimer() }
    }

    private func onTimer() {
        let (ticks, sleep) = clock.due(nowNanos: monotonicNanos())
        if ticks > 1 { core.counters.tickOverruns += 1 }
        for _ in 0..<ticks {
            let t0 = monotonicNanos()
            core.tick(output: &output)
            lastTickNanos = monotonicNanos() - t0
            onTick?(lastTickNanos)
            tickCount += 1
            afterTick?(tickCount)
        }
        endpoint.flush()
        scheduleTick(afterMillis: max(1, sleep))
    }

    /// Re-handles a JoinRequest that waited for its match to be looked up.
    public func replayJoin(_ j: JoinRequestPacket, from relay: ENetPeerHandle) {
        core.handleJoin(j, from: relay, output: &output)
        endpoint.flush()
    }

    /// Ticks the clock skipped because the loop fell behind.
    public var skippedTicks: Int { clock.skippedTicks }

    /// Stops ticking and closes the ENet host (relays see a disconnect).
    public func stop() {
        tickTimer.stop()
        tickTimer.close()
        for r in relays { endpoint.disconnect(r) }
        endpoint.flush()
        endpoint.close()
    }
}
