import Foundation
import KKVoiceCore
import Testing

/// coturn's TURN REST credentials: the vectors were computed independently with Python's
/// `hmac` (`base64(HMAC-SHA1(secret, username))`).
@Suite struct TurnCredentialsTests {
    @Test func mintsTheRESTSchemeUsernameAndPassword() throws {
        let urls = ["turn:turn.example.net:3478?transport=udp", "turns:turn.example.net:5349"]
        let c = TurnCredentials.mint(secret: "north-secret", user: "42", now: 1_700_000_000, ttlSeconds: 86_400, urls: urls)
        #expect(c.username == "1700086400:42")
        #expect(c.credential == "UWXoDjwZ9B4odP04PG9KxJWLns0=")
        #expect(c.ttl == 86_400 && c.urls == urls)
        #expect(c.expiresAt == 1_700_086_400)
        #expect(TurnCredentials.credential(secret: "s3cr3t", username: "1893456000:-7") == "34Yzfj5Bpjatnn1Vmik64fiTy6o=")
    }

    @Test func expiresAfterItsTTLAndOnlyVerifiesWithItsSecret() {
        let c = TurnCredentials.mint(secret: "north-secret", user: "42", now: 1_000, ttlSeconds: 600, urls: [])
        #expect(c.expiresAt == 1_600)
        #expect(c.isValid(secret: "north-secret", now: 1_000))
        #expect(c.isValid(secret: "north-secret", now: 1_599))
        #expect(!c.isValid(secret: "north-secret", now: 1_600))
        #expect(!c.isValid(secret: "south-secret", now: 1_000))
        var forged = c
        forged.username = "9999999999:42"
        #expect(!forged.isValid(secret: "north-secret", now: 1_000))
        // A non-positive TTL still yields credentials that expire (one second on).
        #expect(TurnCredentials.mint(secret: "k", user: "1", now: 50, ttlSeconds: 0, urls: []).expiresAt == 51)
    }

    @Test func encodesAsAnRTCIceServer() throws {
        let c = TurnCredentials(urls: ["turn:t:3478"], username: "10:1", credential: "x", ttl: 5)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any]
        #expect(Set(json?.keys.map { $0 } ?? []) == ["urls", "username", "credential", "ttl"])
        #expect(try JSONDecoder().decode(TurnCredentials.self, from: JSONEncoder().encode(c)) == c)
    }
}
