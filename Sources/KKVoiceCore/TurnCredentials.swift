import Crypto
import Foundation

/// Short-lived TURN credentials in coturn's TURN REST scheme (`use-auth-secret` with
/// `static-auth-secret`): `username` is `"<unix expiry>:<user>"` and `credential` is
/// `base64(HMAC-SHA1(secret, username))`. coturn recomputes the credential from the username and
/// its own copy of the secret, and refuses the username once the expiry has passed, so nothing is
/// stored anywhere. The shape matches WebRTC's `RTCIceServer` (`urls`, `username`, `credential`).
public struct TurnCredentials: Codable, Sendable, Equatable {
    /// `turn:` / `turns:` (and `stun:`) URLs of the TURN servers sharing the secret.
    public var urls: [String]
    public var username: String
    public var credential: String
    /// Seconds the credentials stay valid from the moment they were minted.
    public var ttl: Int

    public init(urls: [String], username: String, credential: String, ttl: Int) {
        self.urls = urls; self.username = username; self.credential = credential; self.ttl = ttl
    }

    /// Credentials for `user`, valid until `now + ttlSeconds`.
    /// - Parameters:
    ///   - secret: coturn's `static-auth-secret` (its UTF-8 bytes are the HMAC key).
    ///   - user: who they are for (the player id as text); should not contain `:`.
    ///   - now: the current time, in Unix seconds.
    ///   - ttlSeconds: lifetime, at least 1 (smaller values count as 1).
    public static func mint(secret: String, user: String, now: Int64, ttlSeconds: Int = 86_400, urls: [String]) -> TurnCredentials {
        let ttl = max(1, ttlSeconds)
        let username = "\(now + Int64(ttl)):\(user)"
        return TurnCredentials(urls: urls, username: username, credential: credential(secret: secret, username: username), ttl: ttl)
    }

    /// `base64(HMAC-SHA1(secret, username))`: what coturn expects as the password for `username`.
    public static func credential(secret: String, username: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(username.utf8), using: key)
        return Data(mac).base64EncodedString()
    }

    /// The Unix time the username stops being accepted (the part before the first `:`), or nil
    /// when the username is not in the REST scheme.
    public var expiresAt: Int64? {
        guard let colon = username.firstIndex(of: ":") else { return nil }
        return Int64(username[..<colon])
    }

    /// Whether `credential` is the one `secret` gives for `username` and the expiry is after `now`
    /// (Unix seconds), as coturn would judge it.
    public func isValid(secret: String, now: Int64) -> Bool {
        guard let expiry = expiresAt, expiry > now else { return false }
        return Self.credential(secret: secret, username: username) == credential
    }
}
