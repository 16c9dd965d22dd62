import KKDelta
import KKPhysics
import KKWire

/// Errors of the client core. A bad datagram is reported (and counted in ``ClientStats``)
/// but never ends a session by itself.
public enum ClientError: Error, Equatable, Sendable {
    /// A configuration value is out of range.
    case badConfig(String)
    /// The track named in the configuration is unknown or invalid.
    case badTrack(String)
    /// The datagram is not a valid relay-to-client packet.
    case wire(WireError)
    /// A frame payload did not decode.
    case delta(DeltaError)
    /// A delta frame refers to a baseline the client no longer holds.
    case missingBaseline(UInt32)
    /// The packet is valid but not expected in the current state (e.g. a frame before Welcome).
    case unexpected(String)
    /// The Welcome's slot is not a kart of the match.
    case badSlot(Int)
}
