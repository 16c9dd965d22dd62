import KKAssetsCore
import Testing

struct CacheEvictionTests {
    func e(_ s: String, _ size: Int, _ t: Int64) -> CacheEviction.Entry { .init(sha256: s, size: size, lastUsed: t) }

    @Test func leastRecentlyUsedGoFirstUntilItFits() {
        let entries = [e("a", 100, 3), e("b", 100, 1), e("c", 100, 2), e("d", 100, 4)]
        #expect(CacheEviction.victims(entries, capacityBytes: 400).isEmpty)
        #expect(CacheEviction.victims(entries, capacityBytes: 250).map(\.sha256) == ["b", "c"])
        #expect(CacheEviction.victims(entries, capacityBytes: 250, keep: ["b"]).map(\.sha256) == ["c", "a"])
        // What is kept alone exceeds the bound: everything else goes, the kept stays.
        #expect(CacheEviction.victims(entries, capacityBytes: 50, keep: ["d"]).map(\.sha256) == ["b", "c", "a"])
    }

    @Test func trustedKeysParseOrRefuse() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try TrustedKeys.parse(["k1:" + hex]).keys.sorted() == ["k1"])
        #expect(throws: AssetError.self) { try TrustedKeys.parse([hex]) }
        #expect(throws: AssetError.self) { try TrustedKeys.parse(["k1:abcd"]) }
        #expect(throws: AssetError.self) { try TrustedKeys.parse([":" + hex]) }
    }
}
