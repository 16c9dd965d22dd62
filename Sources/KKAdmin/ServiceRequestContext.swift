import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of the services' HTTP servers (``AsyncServiceHost``): Hummingbird's core
/// context plus the peer's address (per-address rate limits). The address is the TCP peer's; a
/// deployment behind a proxy must terminate it at a proxy that limits by address itself, since
/// a forwarded-for header can be forged.
/// It also carries WebSocket upgrades (the lobby's sockets are routes like any other).
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public let webSocket: WebSocketHandlerReference<Self>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        webSocket = .init()
    }

    /// The peer's IP address as text (nil when unknown, e.g. in router tests).
    public var peerIP: String? { remoteAddress?.ipAddress }
}
