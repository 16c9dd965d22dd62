/// The relay's unauthenticated ping, for picking a region from measured round trips before any
/// handshake (the lobby's quick play). A request is exactly ``requestBytes`` long (magic `KKp?`,
/// an 8-byte nonce, zero padding); the answer is ``responseBytes`` long (magic `KKp!`, the nonce,
/// the relay's load 0...255): smaller than the request, so a spoofed source gains nothing
/// (0.41x). Nothing is kept per ping; the relay's per-address rate limit applies. A DTLS record
/// never starts with `K`, so the two cannot be confused.
public enum RelayPing {
    public static let requestBytes = 32
    public static let responseBytes = 13
    static let requestMagic: [UInt8] = [0x4B, 0x4B, 0x70, 0x3F]   // "KKp?"
    static let responseMagic: [UInt8] = [0x4B, 0x4B, 0x70, 0x21]  // "KKp!"

    /// A request carrying `nonce`.
    public static func request(nonce: UInt64) -> [UInt8] {
        var out = requestMagic
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: nonce >> (8 * UInt64(i)))) }
        out += [UInt8](repeating: 0, count: requestBytes - out.count)
        return out
    }

    /// When `bytes` is a well-formed request, writes the answer into `out` (at least
    /// ``responseBytes``) and returns its length; nil otherwise (not a ping: let the DTLS gate see it).
    public static func answer(_ bytes: UnsafeRawBufferPointer, load: UInt8, into out: UnsafeMutableRawBufferPointer) -> Int? {
        guard bytes.count == requestBytes, out.count >= responseBytes,
              bytes[0] == requestMagic[0], bytes[1] == requestMagic[1], bytes[2] == requestMagic[2], bytes[3] == requestMagic[3] else {
            return nil
        }
        for i in 12..<requestBytes where bytes[i] != 0 { return nil }
        for i in 0..<4 { out[i] = responseMagic[i] }
        for i in 0..<8 { out[4 + i] = bytes[4 + i] }
        out[12] = load
        return responseBytes
    }

    /// The nonce and load of an answer; nil when `bytes` is not one.
    public static func parseAnswer(_ bytes: [UInt8]) -> (nonce: UInt64, load: UInt8)? {
        guard bytes.count == responseBytes, Array(bytes[0..<4]) == responseMagic else { return nil }
        var nonce: UInt64 = 0
        for i in 0..<8 { nonce |= UInt64(bytes[4 + i]) << (8 * UInt64(i)) }
        return (nonce, bytes[12])
    }
}
