import COpenSSL

/// A 32-byte token sealing key shared by the match service (which seals) and every relay
/// (which opens), with its public key id: the first 4 bytes of HMAC-SHA256(key, "kk-token-key-id").
/// The id lets a relay hold the current and the previous key during rotation, and tell
/// "sealed with a key I do not have" from "tampered with".
public struct TokenKey: Sendable, Equatable {
    public let bytes: [UInt8]
    public let keyId: UInt32

    public init(bytes: [UInt8]) throws(TokenError) {
        guard bytes.count == ChaChaPolyAEAD.keyBytes else { throw .invalidContent }
        self.bytes = bytes
        var md = [UInt8](repeating: 0, count: 32)
        var mdLen: UInt32 = 0
        let label = Array("kk-token-key-id".utf8)
        let ok = bytes.withUnsafeBytes { k in
            label.withUnsafeBytes { l in
                md.withUnsafeMutableBufferPointer { m in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), l.baseAddress!.assumingMemoryBound(to: UInt8.self),
                         l.count, m.baseAddress, &mdLen) != nil
                }
            }
        }
        guard ok else { throw .cryptoFailure }
        keyId = UInt32(md[0]) | UInt32(md[1]) << 8 | UInt32(md[2]) << 16 | UInt32(md[3]) << 24
    }

    /// Parses 64 hex characters (how keys are written in Config/ and environment variables).
    public init(hex: String) throws(TokenError) {
        guard hex.utf8.count == 64, let out = Self.bytes(hex: hex) else { throw .invalidContent }
        try self.init(bytes: out)
    }

    /// A fresh random key.
    public static func random() throws(TokenError) -> TokenKey { try TokenKey(bytes: secureRandomBytes(32)) }

    /// The key as 64 lowercase hex characters.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hexadecimal text (either case, an even number of digits); nil when it is not.
    /// How keys and secrets are written in Config/, flags and environment variables.
    public static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
