import Crypto
import Foundation
import KKAssetsCore
import Testing

/// Content-addressed bundles and signed manifests: what is signed is what is checked; any
/// change of a byte, another key or an untrusted key id is refused.
@Suite struct AssetManifestTests {
    let key = Curve25519.Signing.PrivateKey()

    func manifest() -> AssetManifest {
        AssetManifest(build: "2026.12.07-1", platform: "linux-x86_64", createdAt: 1_796_600_000, bundles: [
            AssetBundle(id: "track/sprint", kind: "track", bytes: Array("sprint track".utf8)),
            AssetBundle(id: "track/oval", kind: "track", bytes: Array("oval track".utf8)),
        ])
    }

    @Test func aSignedManifestVerifiesWithTheTrustedKeyOnly() throws {
        let signed = try SignedManifest(manifest(), keyId: "k1", key: key)
        let m = try signed.verified(trusted: ["k1": key.publicKey])
        #expect(m == manifest() && m.bundles.map(\.id) == ["track/oval", "track/sprint"])
        #expect(throws: AssetError.unknownKey("k1")) { try signed.verified(trusted: ["k2": key.publicKey]) }
        #expect(throws: AssetError.badSignature) { try signed.verified(trusted: ["k1": Curve25519.Signing.PrivateKey().publicKey]) }
        var tampered = signed
        tampered.payload = tampered.payload.replacingOccurrences(of: "linux-x86_64", with: "linux-arm64")
        #expect(throws: AssetError.badSignature) { try tampered.verified(trusted: ["k1": key.publicKey]) }
        var garbled = signed
        garbled.signature = "zz"
        #expect(throws: AssetError.badSignature) { try garbled.verified(trusted: ["k1": key.publicKey]) }
        // It travels as JSON and verifies the same after the trip.
        let trip = try JSONDecoder().decode(SignedManifest.self, from: JSONEncoder().encode(signed))
        #expect(try trip.verified(trusted: ["k1": key.publicKey]) == m)
    }

    @Test func bundlesAreCheckedBySizeAndHash() throws {
        let bytes = Array("oval track".utf8)
        let b = AssetBundle(id: "track/oval", kind: "track", bytes: bytes)
        #expect(b.sha256 == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() && b.size == bytes.count)
        try b.verify(bytes)
        #expect(throws: AssetError.sizeMismatch(expected: bytes.count, got: bytes.count - 1)) { try b.verify(bytes.dropLast()) }
        var flipped = bytes
        flipped[0] ^= 1
        #expect(throws: (any Error).self) { try b.verify(flipped) }
        #expect(SigV4.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
