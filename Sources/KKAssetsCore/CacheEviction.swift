/// The asset cache's bound (pure): which bundles to delete, least recently used first, so that
/// what stays fits `capacityBytes`. Bundles in `keep` (the one just fetched, those in use) are
/// never chosen; when they alone exceed the bound, the rest goes and they stay.
public enum CacheEviction {
    public struct Entry: Equatable, Sendable {
        public var sha256: String
        public var size: Int
        /// When it was last used (any monotone measure: file times in ns).
        public var lastUsed: Int64

        public init(sha256: String, size: Int, lastUsed: Int64) { self.sha256 = sha256; self.size = size; self.lastUsed = lastUsed }
    }

    /// The entries to delete, oldest first.
    public static func victims(_ entries: [Entry], capacityBytes: Int, keep: Set<String> = []) -> [Entry] {
        var total = entries.reduce(0) { $0 + $1.size }
        guard total > capacityBytes else { return [] }
        let ordered = entries.filter { !keep.contains($0.sha256) }
            .sorted { $0.lastUsed != $1.lastUsed ? $0.lastUsed < $1.lastUsed : $0.sha256 < $1.sha256 }
        var out: [Entry] = []
        for e in ordered where total > capacityBytes {
            out.append(e)
            total -= e.size
        }
        return out
    }
}
