import Crypto
import KKToken

/// The manifest signing keys a client or service trusts, by key id, from `kid:hex` texts (the
/// form `kk-assets public-key` prints with its key id).
public enum TrustedKeys {
    public static func parse(_ texts: [String]) throws(AssetError) -> [String: Curve25519.Signing.PublicKey] {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        for t in texts {
            guard let colon = t.firstIndex(of: ":") else { throw .malformed("trusted key '\(t)': want kid:hex") }
            let kid = String(t[..<colon]), hex = String(t[t.index(after: colon)...])
            guard !kid.isEmpty, let raw = TokenKey.bytes(hex: hex), raw.count == 32,
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw .malformed("trusted key '\(t)': want kid:<64 hex of an Ed25519 public key>")
            }
            keys[kid] = key
        }
        return keys
    }
}
