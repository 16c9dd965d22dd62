import KKDTLS
import KKLoop
import KKRelayCore

/// A client address with a DTLS session on this relay: handshaking, then established (then the
/// ``RelayCore`` session with the same id exists too).
final class ClientConnection {
    let id: Int
    let address: PeerAddress
    let dtls: DTLSSession
    var established = false
    /// Monotonic ms after which an unfinished handshake is dropped.
    let handshakeDeadline: UInt64
    /// This address's datagram rate limit (kept here so a known client costs one table lookup).
    var packets: TokenBucket

    init(id: Int, address: PeerAddress, dtls: DTLSSession, handshakeDeadline: UInt64, packets: TokenBucket) {
        self.id = id
        self.address = address
        self.dtls = dtls
        self.handshakeDeadline = handshakeDeadline
        self.packets = packets
    }
}
