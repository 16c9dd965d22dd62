import KKWire

/// DTLS 1.2 byte layout (RFC 6347 §4.1, §4.2.2) the cookie gate parses and writes.
///
/// Record header (13): content type u8, version u16, epoch u16, sequence u48, length u16.
/// Handshake header (12): msg type u8, length u24, message_seq u16, fragment_offset u24,
/// fragment_length u24. ClientHello body: client_version u16, random 32, session_id <0..32>,
/// cookie <0..255>, cipher suites, compression methods, extensions.
/// HelloVerifyRequest body: server_version u16, cookie <0..255>.
public enum DTLSRecordLayout {
    public static let recordHeaderBytes = 13
    public static let handshakeHeaderBytes = 12
    static let contentTypeHandshake: UInt8 = 22
    static let handshakeClientHello: UInt8 = 1
    static let handshakeHelloVerifyRequest: UInt8 = 3
    static let versionMajor: UInt8 = 0xFE
    /// DTLS 1.0 wire version: what a HelloVerifyRequest carries (RFC 6347 §4.2.1).
    static let dtls10: UInt16 = 0xFEFF
    /// DTLS 1.2 wire version (numerically smaller is newer).
    public static let dtls12: UInt16 = 0xFEFD
    static let randomBytes = 32
    static let maxSessionIdBytes = 32
    /// Bytes of the HelloVerifyRequest datagram the gate writes.
    public static let helloVerifyRequestBytes = recordHeaderBytes + handshakeHeaderBytes + 3 + DTLSCookieKey.cookieBytes
    /// Most bytes a record adds to its plaintext (header 13 + explicit IV 16 + MAC 48 + padding 16
    /// for the CBC fallback; ChaCha20-Poly1305 adds 29). Size ciphertext buffers with this.
    public static let maxRecordOverhead = recordHeaderBytes + 16 + 48 + 16
    /// A caller buffer of this size holds any datagram ``DTLSSession/drainOutgoing(into:)`` returns.
    public static let maxCiphertextDatagramBytes = Limits.maxCiphertextDatagramBytes
}
