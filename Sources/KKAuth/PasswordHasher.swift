import COpenSSL
import Foundation
import KKToken

/// Memory-hard password hashing: scrypt through OpenSSL (N = 2^15, r = 8, p = 1: 32 MiB and
/// tens of milliseconds per guess), a 16-byte random salt per account, a 32-byte result compared
/// in constant time. The parameters are stored with each hash so they can be raised later.
public struct PasswordHasher: Sendable {
    public var logN: UInt8 = 15
    public var r: UInt32 = 8
    public var p: UInt32 = 1
    public static let hashBytes = 32
    public static let saltBytes = 16

    public init() {}

    /// A stored form: "scrypt$logN$r$p" parameters, salt and hash.
    public struct Stored: Sendable, Equatable {
        public var params: String
        public var salt: [UInt8]
        public var hash: [UInt8]
    }

    public func hash(_ password: String) -> Stored? {
        guard let salt = try? secureRandomBytes(Self.saltBytes), let h = Self.scrypt(password, salt: salt, logN: logN, r: r, p: p) else { return nil }
        return Stored(params: "scrypt$\(logN)$\(r)$\(p)", salt: salt, hash: h)
    }

    /// True when `password` hashes to `stored` (constant-time comparison).
    public static func verify(_ password: String, against stored: Stored) -> Bool {
        let parts = stored.params.split(separator: "$")
        guard parts.count == 4, parts[0] == "scrypt", let logN = UInt8(parts[1]), let r = UInt32(parts[2]), let p = UInt32(parts[3]),
              (10...20).contains(logN), let h = scrypt(password, salt: stored.salt, logN: logN, r: r, p: p),
              h.count == stored.hash.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<h.count { diff |= h[i] ^ stored.hash[i] }
        return diff == 0
    }

    static func scrypt(_ password: String, salt: [UInt8], logN: UInt8, r: UInt32, p: UInt32) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: hashBytes)
        let pass = Array(password.utf8) + [0]  // NUL-terminated: never an empty buffer
        let n = UInt64(1) << UInt64(logN)
        let maxMem = UInt64(128) * UInt64(r) * (n + UInt64(p) + 2) + (1 << 20)
        let ok = pass.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    pw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pw.count) { pwc in
                        EVP_PBE_scrypt(pwc, pw.count - 1, s.baseAddress, s.count, n, UInt64(r), UInt64(p), maxMem,
                                       o.baseAddress, o.count)
                    }
                }
            }
        }
        return ok == 1 ? out : nil
    }
}
