import Crypto
import Foundation

/// nginx's `secure_link` signed, expiring URLs (pure): `md5 = base64url(md5("<expires><uri>
/// <secret>"))` without padding, as the CDN's `secure_link_md5 "$secure_link_expires$uri
/// <secret>"` checks: a bad or missing signature is 403, an expired one 410.
public enum SecureLink {
    /// The `md5` query value for `uri` (the path, as nginx sees it) valid until `expires`
    /// (seconds since 1970).
    public static func signature(uri: String, expires: Int64, secret: String) -> String {
        let digest = Insecure.MD5.hash(data: Array("\(expires)\(uri) \(secret)".utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `base` + `uri` + `?md5=...&expires=...`.
    public static func url(base: String, uri: String, expires: Int64, secret: String) -> String {
        "\(base)\(uri)?md5=\(signature(uri: uri, expires: expires, secret: secret))&expires=\(expires)"
    }
}
