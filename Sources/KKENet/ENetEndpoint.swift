import CENet
import KKLoop

/// An opaque handle for one ENet peer (a relay<->shard connection), stable while connected.
public struct ENetPeerHandle: Hashable, @unchecked Sendable {
    let raw: UnsafeMutablePointer<ENetPeer>
    /// A small id unique within the host while connected (ENet's incoming/outgoing peer id).
    public var id: UInt16 { raw.pointee.incomingPeerID }
    /// The peer's remote address as "a.b.c.d:port".
    public var address: String {
        var buf = [CChar](repeating: 0, count: 64)
        var addr = raw.pointee.address
        enet_address_get_host_ip(&addr, &buf, 64)
        return "\(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(addr.port)"
    }
    /// Round-trip time ENet measured, milliseconds.
    public var roundTripMillis: UInt32 { raw.pointee.roundTripTime }
}

/// What an ENet host reports.
public enum ENetEvent {
    case connected(ENetPeerHandle, data: UInt32)
    case disconnected(ENetPeerHandle)
    /// A packet; the bytes are valid only during the callback.
    case received(ENetPeerHandle, channel: UInt8, bytes: UnsafeRawBufferPointer)
}

/// Errors of the ENet adapter.
public enum ENetError: Error, Equatable, Sendable {
    case initializationFailed
    case hostCreationFailed(String)
    case connectFailed(String)
    case packetAllocationFailed
    case sendFailed
}

/// An ENet host driven by a libuv loop: its socket is watched with a ``LoopPoll`` (no busy
/// loop) and a service timer runs ENet's resends and pings. Loop-thread only.
///
/// Channels: 0 reliable control (joins, leaves), 1 unreliable sequenced (inputs, frames).
public final class ENetEndpoint {
    public static let controlChannel: UInt8 = 0
    public static let streamChannel: UInt8 = 1

    private let host: UnsafeMutablePointer<ENetHost>
    private var poll: LoopPoll?
    private var timer: LoopTimer?
    private var handler: (ENetEvent) -> Void = { _ in }
    private var afterEvents: (() -> Void)?
    private var event = ENetEvent_C()
    /// Packets sent and received, bytes, for metrics.
    public private(set) var packetsSent = 0, packetsReceived = 0, bytesSent = 0, bytesReceived = 0

    typealias ENetEvent_C = CENet.ENetEvent

    /// Creates a host. With `bind` nil it is a client-only host on an ephemeral port.
    public init(loop: EventLoop, bind: (host: String, port: UInt16)?, maxPeers: Int, serviceMillis: UInt64 = 5) throws(ENetError) {
        if !ENetLibrary.initialized { throw .initializationFailed }
        var h: UnsafeMutablePointer<ENetHost>?
        if let bind {
            var address = ENetAddress()
            enet_address_set_host(&address, bind.host)
            address.port = bind.port
            h = enet_host_create(&address, maxPeers, 2, 0, 0)
        } else {
            h = enet_host_create(nil, maxPeers, 2, 0, 0)
        }
        guard let h else { throw .hostCreationFailed(bind.map { "\($0.host):\($0.port)" } ?? "client") }
        host = h
        do {
            let p = try LoopPoll(loop: loop, fd: crelay_enet_socket_fd(h))
            poll = p
        } catch {
            enet_host_destroy(h)
            throw .hostCreationFailed("uv_poll_init: \(error)")
        }
        let t = LoopTimer(loop: loop)
        timer = t
        _ = serviceMillis
    }

    /// Starts delivering events to `body`; `afterEvents` runs once after each service pass that
    /// delivered any (the owner sends what the events produced in one go).
    public func start(serviceMillis: UInt64 = 5, afterEvents: (() -> Void)? = nil, _ body: @escaping (ENetEvent) -> Void) {
        handler = body
        self.afterEvents = afterEvents
        poll?.start(.readable) { [unowned self] _ in self.service() }
        timer?.start(afterMillis: serviceMillis, repeatMillis: serviceMillis) { [unowned self] in self.service() }
    }

    /// The bound port.
    public var port: UInt16 {
        var a = ENetAddress()
        enet_socket_get_address(host.pointee.socket, &a)
        return a.port
    }

    /// Connects to a remote ENet host; the result arrives as `.connected`.
    public func connect(host remote: String, port: UInt16, data: UInt32 = 0) throws(ENetError) -> ENetPeerHandle {
        var address = ENetAddress()
        guard enet_address_set_host(&address, remote) == 0 else { throw .connectFailed("\(remote): bad host") }
        address.port = port
        guard let p = enet_host_connect(host, &address, 2, data) else { throw .connectFailed("\(remote):\(port): no free peer") }
        // Give up on an unreachable shard within ~3 s instead of ENet's default 30 s.
        enet_peer_timeout(p, 8, 1000, 3000)
        return ENetPeerHandle(raw: p)
    }

    /// Queues a packet; it leaves on the next ``flush()`` or service.
    public func send(_ bytes: UnsafeRawBufferPointer, to peer: ENetPeerHandle, channel: UInt8, reliable: Bool) throws(ENetError) {
        let flags = reliable ? crelay_enet_packet_flag_reliable() : 0
        guard let packet = enet_packet_create(bytes.baseAddress, bytes.count, flags) else { throw .packetAllocationFailed }
        guard enet_peer_send(peer.raw, channel, packet) == 0 else {
            enet_packet_destroy(packet)
            throw .sendFailed
        }
        packetsSent += 1
        bytesSent += bytes.count
    }

    /// Sends an array (cold paths).
    public func send(_ bytes: [UInt8], to peer: ENetPeerHandle, channel: UInt8, reliable: Bool) throws(ENetError) {
        let r: Result<Void, ENetError> = bytes.withUnsafeBytes { raw in
            do throws(ENetError) { try send(raw, to: peer, channel: channel, reliable: reliable); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    /// Sends queued packets now.
    /// Sends a packet of a sans-I/O core: reliable ones on the control channel, the others on
    /// the stream channel. False when ENet refused it (the caller counts it).
    public func send(_ bytes: ArraySlice<UInt8>, to peer: ENetPeerHandle, reliable: Bool) -> Bool {
        let channel = reliable ? Self.controlChannel : Self.streamChannel
        return bytes.withUnsafeBytes { raw -> Bool in
            do throws(ENetError) { try send(raw, to: peer, channel: channel, reliable: reliable); return true } catch { return false }
        }
    }

    public func flush() { enet_host_flush(host) }

    /// Gracefully disconnects a peer (a `.disconnected` event follows).
    public func disconnect(_ peer: ENetPeerHandle) { enet_peer_disconnect(peer.raw, 0) }

    /// Drops a peer at once without notifying it.
    public func reset(_ peer: ENetPeerHandle) { enet_peer_reset(peer.raw) }

    /// Runs ENet until no event is pending; delivers events.
    public func service() {
        var budget = 4096
        while budget > 0, enet_host_service(host, &event, 0) > 0 {
            budget -= 1
            switch event.type {
            case ENET_EVENT_TYPE_CONNECT:
                handler(.connected(ENetPeerHandle(raw: event.peer), data: event.data))
            case ENET_EVENT_TYPE_DISCONNECT:
                handler(.disconnected(ENetPeerHandle(raw: event.peer)))
            case ENET_EVENT_TYPE_RECEIVE:
                let packet = event.packet!
                packetsReceived += 1
                bytesReceived += packet.pointee.dataLength
                handler(.received(ENetPeerHandle(raw: event.peer), channel: event.channelID,
                                  bytes: UnsafeRawBufferPointer(start: packet.pointee.data, count: packet.pointee.dataLength)))
                enet_packet_destroy(packet)
            default:
                break
            }
        }
        if budget < 4096 { afterEvents?() }
        enet_host_flush(host)
    }

    /// Stops and destroys the host (peers are reset).
    public func close() {
        poll?.stop(); poll?.close(); poll = nil
        timer?.stop(); timer?.close(); timer = nil
        enet_host_flush(host)
    }

    deinit {
        close()
        enet_host_destroy(host)
    }
}

/// One-time ENet initialisation.
enum ENetLibrary {
    static let initialized: Bool = enet_initialize() == 0
}
