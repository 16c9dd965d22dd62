/// Reads figures out of a Prometheus text exposition (what every process serves on /metrics).
public enum MetricsText {
    /// The sum of every sample of `name` whose labels include all of `labels` (nil: no such
    /// sample). Comment lines and other metrics (including `name_bucket`-style suffixes) are skipped.
    public static func sum(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        var total: Double?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard line.first != "#", line.hasPrefix(name) else { continue }
            let rest = line.dropFirst(name.count)
            guard let c = rest.first, c == " " || c == "{" else { continue }
            var labelPart: Substring = ""
            var valuePart = rest
            if c == "{" {
                guard let close = rest.lastIndex(of: "}") else { continue }
                labelPart = rest[rest.index(after: rest.startIndex)..<close]
                valuePart = rest[rest.index(after: close)...]
            }
            guard labels.allSatisfy({ labelPart.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            guard let v = valuePart.split(separator: " ").first.flatMap({ Double($0) }), v.isFinite else { continue }
            total = (total ?? 0) + v
        }
        return total
    }
}
