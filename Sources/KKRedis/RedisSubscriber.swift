import KKLoop

/// A second connection in pub/sub mode. Loop-thread only.
///
/// Channels registered with ``subscribe(_:onMessage:)`` are (re)subscribed every time the
/// connection comes up, so a subscriber survives Redis restarts; messages published while it
/// was down are lost (pub/sub has no backlog). ``activeChannels`` holds the channels the server
/// confirmed since the last connect. Call ``close()``: while connected, the underlying client
/// keeps itself alive.
public final class RedisSubscriber {
    private let client: RedisClient
    private var handlers: [[UInt8]: ([UInt8]) -> Void] = [:]

    /// Channels confirmed by the server on the current connection.
    public private(set) var activeChannels: Set<String> = []
    /// Messages delivered to a handler.
    public private(set) var messagesDelivered = 0
    /// Called when the connection comes up (true) or goes down (false).
    public var onStateChange: (Bool) -> Void = { _ in }
    /// Called when the server confirms a subscription (after every (re)connect).
    public var onSubscribed: (String) -> Void = { _ in }

    /// On a Redis Cluster: before subscribing, each connection reads `CLUSTER NODES` and keeps
    /// every node as a place to reconnect to (the seed may be the node that died).
    private let cluster: Bool

    public init(loop: EventLoop, options: RedisClient.Options) {
        var plain = options
        plain.cluster = false  // any node of a cluster delivers every channel's messages
        cluster = options.cluster
        client = RedisClient(loop: loop, options: plain)
        client.stateHook = { [weak self] up in self?.connectionChanged(up) }
        client.onStateChange = { [weak self] up in self?.onStateChange(up) }
        client.pubSubHandler = { [weak self] reply in self?.received(reply) }
    }

    public var isConnected: Bool { client.isConnected }
    /// Counters of the underlying connection.
    public var stats: RedisClient.Stats { client.stats }

    /// Starts connecting (and reconnecting) until ``close()``.
    public func connect() { client.connect() }

    /// Closes the connection; no handler runs afterwards.
    public func close() {
        handlers = [:]
        activeChannels = []
        client.close()
    }

    /// Calls `onMessage` with the payload of every message on `channel` (replacing an earlier
    /// handler for it). Subscribes now when connected, else on the next connect.
    public func subscribe(_ channel: String, onMessage: @escaping ([UInt8]) -> Void) {
        let key = Array(channel.utf8)
        let isNew = handlers[key] == nil
        handlers[key] = onMessage
        if isNew, client.isConnected { _ = client.subscribe(channels: [key]) }
    }

    private func connectionChanged(_ up: Bool) {
        activeChannels = []
        guard up else { return }
        guard cluster else { return subscribeAll() }
        client.command(["CLUSTER", "NODES"]) { [weak self] r in
            guard let self else { return }
            if let t = RedisClusterRouter.parseTopology(r, askedHost: client.options.host) {
                client.learnedEndpoints = t.nodes.sorted().compactMap(RedisClient.Endpoint.init)
            }
            if client.isConnected { subscribeAll() }
        }
    }

    private func subscribeAll() {
        if !handlers.isEmpty { _ = client.subscribe(channels: Array(handlers.keys)) }
    }

    /// Endpoints this subscriber may reconnect to besides its options' (tests).
    var learnedEndpoints: [RedisClient.Endpoint] { client.learnedEndpoints }

    private func received(_ reply: RedisReply) {
        guard case .array(let items) = reply, items.count >= 3,
              case .string(let kind) = items[0], case .string(let channel) = items[1] else { return }
        switch String(decoding: kind, as: UTF8.self) {
        case "message":
            guard case .string(let payload) = items[2], let handler = handlers[channel] else { return }
            messagesDelivered += 1
            handler(payload)
        case "subscribe":
            let name = String(decoding: channel, as: UTF8.self)
            activeChannels.insert(name)
            onSubscribed(name)
        default:
            break
        }
    }
}
