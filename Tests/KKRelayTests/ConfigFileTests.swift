import Foundation
import KKAdmin
import KKConfig
import KKRelay
import KKRelayCore
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

/// Config files list only what they change; typos and wrong types are errors naming the key.
@Suite struct ConfigFileMergeTests {
    @Test func missingKeysKeepDefaultsAndGivenOnesWin() throws {
        let c = try ConfigFile.decode(RelayConfig.self, data: Data(#"{"listenPort": 9100, "maxSessions": 50}"#.utf8),
                                      over: RelayConfig(), name: "t.json")
        #expect(c.listenPort == 9100 && c.maxSessions == 50)
        var expected = RelayConfig()
        expected.listenPort = 9100
        expected.maxSessions = 50
        #expect(c == expected)
    }

    @Test func unknownKeyWrongTypeAndNonObjectAreClearErrors() {
        func message(_ json: String) -> String? {
            do { _ = try ConfigFile.decode(RelayConfig.self, data: Data(json.utf8), over: RelayConfig(), name: "t.json"); return nil }
            catch { return error.description }
        }
        #expect(message(#"{"listenPrt": 9100}"#)?.contains("unknown key(s) listenPrt") == true)
        #expect(message(#"{"maxSessions": "many"}"#)?.contains("maxSessions") == true)
        #expect(message(#"[1, 2]"#)?.contains("one JSON object") == true)
        #expect(message(#"{"listenPort": "#)?.contains("not valid JSON") == true)
        let overflow = message(#"{"listenPort": 70000}"#)
        #expect(overflow?.contains("listenPort") == true, "\(overflow ?? "accepted")")
    }
}
