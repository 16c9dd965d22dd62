/// Sizes and bounds of the KartKlash wire protocol and match state, in one place.
///
/// Every reader checks counts against these before it trusts them; see docs/PROTOCOL.md.
/// They live in the byte layer so that wire, physics and delta all see the same numbers.
public enum Limits {
    /// Largest datagram (plaintext inside DTLS) the relay accepts or sends.
    public static let maxDatagramBytes = 1200
    /// Size of receive and scratch buffers for one datagram (plaintext out of DTLS, the cookie
    /// gate's HelloVerifyRequest): room for anything an Ethernet path delivers.
    public static let datagramBufferBytes = 2048
    /// Largest ciphertext datagram on the client link: a 1200-byte plaintext in one DTLS record
    /// (ChaCha20-Poly1305 adds 29 bytes) fits with room; receive slots of UDP sockets take it.
    public static let maxCiphertextDatagramBytes = 1500
    /// Protocol id a deployment uses unless configured otherwise ("KKED", little-endian).
    public static let defaultProtocolId: UInt32 = 0x4445_4B4B
    /// Wire protocol version carried in every packet.
    public static let protocolVersion: UInt8 = 1
    /// Bytes of the common header: protocol id (4), version (1), type (1).
    public static let headerBytes = 6
    /// Bytes of the CRC32C trailer.
    public static let checksumBytes = 4
    /// Most inputs one input packet carries (the newest plus unacknowledged older ones).
    public static let maxInputsPerPacket = 32
    /// Largest frame payload (state bytes) in a client frame packet.
    public static let maxFramePayloadBytes = maxDatagramBytes - 32
    /// Largest resume ticket carried in a Welcome packet (a sealed token, base64url text).
    public static let maxResumeTicketBytes = 256
    /// Most inputs in one relay-to-shard batch.
    public static let maxBatchEntries = 1024
    /// Largest relay-to-shard input batch packet (ENet fragments what exceeds its MTU).
    public static let maxInputBatchBytes = 4096
    /// Input arrivals a frame's input margin covers (the shard's window per player).
    public static let inputMarginArrivals = 64
    /// Most players in one match: kart slots in a match state, players a shard frame may list.
    public static let maxPlayersPerMatch = 16
    /// Bytes of one entry of a relay-to-shard input batch (player id 8, match id 8, seq 4,
    /// tick 4, input 2).
    public static let batchedInputBytes = 8 + 8 + 4 + 4 + 2
    /// Largest match-state payload in a shard frame (ENet fragments large packets).
    public static let maxShardFramePayloadBytes = 16 * 1024
    /// Largest relay<->shard packet: a frame with the biggest payload and all players, or an
    /// input batch of ``maxBatchEntries`` entries (16 + 1024 x 26 = 26 640 bytes), whichever is larger.
    public static let maxShardPacketBytes = max(maxShardFramePayloadBytes + 512,
                                                headerBytes + 4 + 2 + maxBatchEntries * batchedInputBytes + checksumBytes)
}
