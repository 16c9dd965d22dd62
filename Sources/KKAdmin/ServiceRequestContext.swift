import Hummingbird
import NIOCore

/// The request context of the services' HTTP servers (``AsyncServiceHost``): Hummingbird's core
/// context plus the peer's address (per-address rate limits). The address is the TCP peer's; a
/// deployment behind a proxy must terminate it at a proxy that limits by address itself, since
/// a forwarded-for header can be forged.
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address as text (nil when unknown, e.g. in router tests).
    public var peerIP: String? { remoteAddress?.ipAddress }
}
