/// The type byte of every packet. Values are grouped by direction; see docs/PROTOCOL.md.
public enum PacketType: UInt8, Sendable, CaseIterable {
    // client -> relay
    case hello = 0x01
    case input = 0x02
    case ping = 0x03
    case disconnect = 0x04
    // relay -> client
    case welcome = 0x10
    case fullFrame = 0x11
    case deltaFrame = 0x12
    case pong = 0x13
    case resumeTicket = 0x14
    // relay <-> shard (ENet)
    case relayHello = 0x20
    case joinRequest = 0x21
    case joinReply = 0x22
    case leave = 0x23
    case inputBatch = 0x24
    case matchFrame = 0x25
}
