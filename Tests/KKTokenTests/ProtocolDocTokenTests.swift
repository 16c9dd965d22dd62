import Foundation
import KKTestSupport
import KKToken
import KKWire
import Testing

/// Keeps the connect-token section of docs/PROTOCOL.md true: its sealed example is the
/// known-answer token, its base64url text is that token's PSK identity, and its JSON example
/// is what a client parses.
@Suite struct ProtocolDocTokenTests {
    static func example(_ name: String) throws -> ProtocolDoc.Example {
        let found = try ProtocolDoc.examples(in: ProtocolDoc.text()).first { $0.name == name }
        return try #require(found, "PROTOCOL.md has no '\(name)' example")
    }

    @Test func sealedTokenIsTheKnownAnswer() throws {
        let ex = try Self.example("sealed-token")
        #expect(ex.language == "hex")
        let bytes = try #require(Hex.bytes(ex.body))
        #expect(Hex.string(bytes) == ConnectTokenTests.knownSealedHex)
        #expect(bytes.count == SealedTokenLayout.sealedBytes)
        let validator = try TokenValidator(keys: [ConnectTokenTests.key])
        let opened = try bytes.withUnsafeBytes { try validator.validate(sealed: $0, now: ConnectTokenTests.now) }
        #expect(opened == ConnectTokenTests.sample())
        // The key id quoted in the header bytes is the documented derivation of the KAT key.
        #expect(UInt32(bytes[13]) | UInt32(bytes[14]) << 8 | UInt32(bytes[15]) << 16 | UInt32(bytes[16]) << 24
            == ConnectTokenTests.key.keyId)
    }

    @Test func sealedTokenTextIsItsPSKIdentity() throws {
        let ex = try Self.example("sealed-token-text")
        let text = ex.body.filter { !$0.isWhitespace }
        #expect(text.utf8.count == SealedTokenLayout.textBytes)
        #expect(text == Base64URL.encode(try #require(Hex.bytes(ConnectTokenTests.knownSealedHex))))
        let validator = try TokenValidator(keys: [ConnectTokenTests.key])
        #expect(try validator.validate(text: text, now: ConnectTokenTests.now) == ConnectTokenTests.sample())
    }

    @Test func connectTokenJSONParses() throws {
        let ex = try Self.example("connect-token-json")
        #expect(ex.language == "json")
        let token = try JSONDecoder().decode(ConnectToken.self, from: Data(ex.body.utf8))
        let sample = ConnectTokenTests.sample()
        #expect(token.protocolId == Limits.defaultProtocolId)
        #expect(token.playerId == sample.playerId && token.matchId == sample.matchId)
        #expect(token.createTime == sample.createTime && token.expireTime == sample.expireTime)
        #expect(try token.clientKeyBytes() == sample.clientKeyBytes)
        #expect(token.sealed == (try Self.example("sealed-token-text")).body.filter { !$0.isWhitespace })
        let validator = try TokenValidator(keys: [ConnectTokenTests.key])
        #expect(try validator.validate(text: token.sealed, now: ConnectTokenTests.now) == sample)
    }
}
