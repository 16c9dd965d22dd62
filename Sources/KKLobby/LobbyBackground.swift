import Foundation
import KKRedis
import ServiceLifecycle

/// The lobby's background work in a service group: delivering the bus to this instance's
/// sockets and running ``LobbyService/sweep(nowMillis:)`` every ``LobbyConfig/sweepMillis``.
/// On graceful shutdown the sockets close with 1001 (going away): their clients reconnect to
/// another instance and find their rooms there.
public struct LobbyBackground: Service {
    public let lobby: LobbyService
    public let bus: AsyncStream<[UInt8]>

    public init(lobby: LobbyService, bus: AsyncStream<[UInt8]>) { self.lobby = lobby; self.bus = bus }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await lobby.consume(bus) }
                    group.addTask {
                        while !Task.isCancelled {
                            await lobby.sweep(nowMillis: LobbyService.nowMillis())
                            try? await Task.sleep(for: .milliseconds(lobby.config.sweepMillis))
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        } onGracefulShutdown: {
            lobby.hub.closeAll(reason: "lobby instance shutting down; reconnect")
        }
    }
}
