import Foundation
import KKShard
import KKShardCore
import Testing

@Suite struct ConfigFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func shippedShardConfigParsesAndValidates() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("Config/shard.json"))
        let c = try JSONDecoder().decode(ShardConfig.self, from: data)
        #expect(c.validate().isEmpty)
        #expect(c.protocolId == ShardConfig().protocolId)
    }
}
