import KKAssetsCore
import Testing

/// The signature nginx's secure_link_md5 checks, computed as its documentation does
/// (`echo -n '2147483647/s/link secret' | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =`).
@Suite struct SecureLinkTests {
    @Test func matchesNginxsRecipe() {
        #expect(SecureLink.signature(uri: "/s/link", expires: 2_147_483_647, secret: "secret") == "0Xgm37lo5nFEuHMDKl_vQg")
        #expect(SecureLink.url(base: "http://cdn", uri: "/b/x", expires: 5, secret: "s").hasPrefix("http://cdn/b/x?md5="))
        #expect(SecureLink.signature(uri: "/a", expires: 1, secret: "s") != SecureLink.signature(uri: "/a", expires: 2, secret: "s"))
    }
}
