/// base64url (RFC 4648 §5) without padding: how the sealed token travels as a DTLS PSK
/// identity, which OpenSSL treats as a C string.
public enum Base64URL {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static let reverse: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Characters needed for `n` bytes.
    public static func encodedLength(_ n: Int) -> Int { (n * 4 + 2) / 3 }

    /// Bytes `n` characters decode to, or nil when `n` is not a valid unpadded length.
    public static func decodedLength(_ n: Int) -> Int? { n % 4 == 1 ? nil : n * 3 / 4 }

    /// Encodes `bytes` as text.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(encodedLength(bytes.count))
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for s in [18, 12, 6, 0] { out.append(alphabet[Int((v >> UInt32(s)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int((v >> 18) & 63)])
            out.append(alphabet[Int((v >> 12) & 63)])
        } else if rest == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int((v >> 18) & 63)])
            out.append(alphabet[Int((v >> 12) & 63)])
            out.append(alphabet[Int((v >> 6) & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `text` into `out` (no allocation); returns the byte count.
    public static func decode(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(TokenError) -> Int {
        guard let n = decodedLength(text.count) else { throw .badEncoding }
        guard n <= out.count else { throw .oversized }
        var acc: UInt32 = 0
        var bits = 0
        var o = 0
        for c in text {
            let v = reverse[Int(c)]
            guard v != 0xFF else { throw .badEncoding }
            acc = (acc << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out[o] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                o += 1
            }
        }
        // Unused low bits must be zero (canonical encoding only).
        guard acc & ((1 << UInt32(bits)) - 1) == 0 else { throw .badEncoding }
        return o
    }

    /// Decodes text into a new array (cold paths, tests).
    public static func decode(_ text: String) throws(TokenError) -> [UInt8] {
        var utf8 = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: utf8.count)
        let result: Result<Int, TokenError> = utf8.withUnsafeMutableBytes { t in
            out.withUnsafeMutableBytes { o in
                do throws(TokenError) { return .success(try decode(UnsafeRawBufferPointer(t), into: o)) } catch { return .failure(error) }
            }
        }
        let n = try result.get()
        utf8.removeAll()
        out.removeLast(out.count - n)
        return out
    }
}
