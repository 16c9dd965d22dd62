import COpenSSL
import Glibc
import KKToken

/// What OpenSSL's C callbacks ask a session (see ``DTLSCallbacks``).
extension DTLSSession {
    /// Server PSK callback: the identity is a sealed connect token (base64url text); on success
    /// the PSK is its client key and the token is kept for ``token``.
    func serverPSK(identity: UnsafePointer<CChar>?, psk: UnsafeMutablePointer<UInt8>?, maxLength: UInt32) -> UInt32 {
        guard let server, let psk, maxLength >= 32 else { return 0 }
        let length = identity.map { strnlen($0, 257) } ?? 0
        let text = UnsafeRawBufferPointer(start: identity, count: length)
        do throws(TokenError) {
            let t = try server.validator.validate(text: text, now: server.clock())
            for i in 0..<32 { psk[i] = t.clientKey[i] }
            authenticatedToken = t
            tokenRejection = nil
            return 32
        } catch {
            tokenRejection = error
            return 0
        }
    }

    /// Client PSK callback: our identity (NUL-terminated) and key.
    func clientPSK(identity: UnsafeMutablePointer<CChar>?, maxIdentity: UInt32, psk out: UnsafeMutablePointer<UInt8>?,
                   maxPSK: UInt32) -> UInt32 {
        guard let identity, let out, pskIdentity.count <= Int(maxIdentity) + 1, psk.count <= Int(maxPSK) else { return 0 }
        for (i, b) in pskIdentity.enumerated() { identity[i] = CChar(bitPattern: b) }
        for (i, b) in psk.enumerated() { out[i] = b }
        return UInt32(psk.count)
    }

    /// Cookie generation (only reached if DTLSv1_listen would answer with a HelloVerifyRequest).
    func generateCookie(_ cookie: UnsafeMutablePointer<UInt8>?, _ length: UnsafeMutablePointer<UInt32>?) -> Int32 {
        guard let server, let cookie, let length else { return 0 }
        let n = peer.withUnsafeBytes { p in
            server.cookieKey.makeCookie(peer: p, nowSeconds: server.clock(),
                                        into: UnsafeMutableRawBufferPointer(start: cookie, count: DTLSCookieKey.cookieBytes))
        }
        length.pointee = UInt32(n)
        return n > 0 ? 1 : 0
    }

    /// Cookie verification: the same MAC the cookie gate checks.
    func verifyCookie(_ cookie: UnsafePointer<UInt8>?, _ length: UInt32) -> Int32 {
        guard let server, let cookie else { return 0 }
        let ok = peer.withUnsafeBytes { p in
            server.cookieKey.verify(cookie: UnsafeRawBufferPointer(start: cookie, count: Int(length)), peer: p,
                                    nowSeconds: server.clock())
        }
        return ok ? 1 : 0
    }
}
