import CENet
import Testing

@Suite struct ENetSmokeTests {
    /// ENet creates a host on 127.0.0.1 port 0 and a client connects to it.
    @Test func hostOnLoopbackAcceptsAConnection() {
        #expect(enet_initialize() == 0)
        var address = ENetAddress()
        enet_address_set_host(&address, "127.0.0.1")
        address.port = 0
        let server = enet_host_create(&address, 8, 2, 0, 0)
        #expect(server != nil)
        guard let server else { return }
        defer { enet_host_destroy(server) }
        var bound = ENetAddress()
        #expect(enet_socket_get_address(server.pointee.socket, &bound) == 0)
        #expect(bound.port != 0)
        #expect(crelay_enet_socket_fd(server) >= 0)

        let client = enet_host_create(nil, 1, 2, 0, 0)
        defer { enet_host_destroy(client) }
        var target = ENetAddress()
        enet_address_set_host(&target, "127.0.0.1")
        target.port = bound.port
        #expect(enet_host_connect(client, &target, 2, 0) != nil)

        var connected = (server: false, client: false)
        var event = ENetEvent()
        for _ in 0..<200 where !(connected.server && connected.client) {
            if enet_host_service(client, &event, 5) > 0, event.type == ENET_EVENT_TYPE_CONNECT { connected.client = true }
            if enet_host_service(server, &event, 5) > 0, event.type == ENET_EVENT_TYPE_CONNECT { connected.server = true }
        }
        #expect(connected.server && connected.client)
    }
}
