import Foundation
import KKRelay
import Testing

@Suite struct RelayConfigFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func shippedRelayConfigParsesAndNamesMissingSecrets() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Config/relay.json"))
        var c = try JSONDecoder().decode(RelayConfig.self, from: data)
        #expect(c.protocolId == RelayConfig().protocolId)
        // Secrets are not in the file: validation says so instead of starting without them.
        #expect(c.validate().contains { $0.contains("token key") })
        c.tokenKeysHex = [String(repeating: "a", count: 64)]
        c.cookieSecretHex = String(repeating: "b", count: 64)
        #expect(c.validate().isEmpty)
    }
}
