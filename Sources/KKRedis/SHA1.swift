import COpenSSL

/// SHA-1 of a script, to name it for EVALSHA (OpenSSL's one-shot digest).
enum SHA1 {
    static func hex(_ message: [UInt8]) -> String {
        var md = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 0
        _ = message.withUnsafeBytes { m in
            EVP_Digest(m.baseAddress, m.count, &md, &len, EVP_sha1(), nil)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in md { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
