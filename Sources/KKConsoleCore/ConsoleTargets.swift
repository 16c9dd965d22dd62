import Foundation

/// What the console watches (`kk-services --console-targets FILE`, JSON): every process of the
/// stack with its admin URL (readiness, /status, /metrics) or only its pid (servers without an
/// admin endpoint: redis, PostgreSQL, nginx...), the services' base URL for results and
/// leaderboards, Prometheus, and the lines telling a person how to join.
public struct ConsoleTargets: Codable, Sendable, Equatable {
    /// A watched process.
    public struct Target: Codable, Sendable, Equatable {
        public var name: String
        /// relay, shard, services, match, load, or anything else (watched by pid / readiness only).
        public var kind: String
        /// Base URL of its admin endpoints (http://127.0.0.1:PORT), if it has them.
        public var url: String?
        public var pid: Int?
        public init(name: String, kind: String, url: String? = nil, pid: Int? = nil) {
            self.name = name; self.kind = kind; self.url = url; self.pid = pid
        }
    }
    public var title: String?
    public var targets: [Target]
    /// Base URL of the results API (`/v1/results/...`); nil: no results shown.
    public var results: String?
    /// Tracks whose leaderboards are shown.
    public var tracks: [String]?
    /// Prometheus' base URL; nil: not shown.
    public var prometheus: String?
    public var join: [String]?

    public init(targets: [Target]) { self.targets = targets }

    /// Reads and checks a targets file.
    public static func load(path: String) throws(ConsoleError) -> ConsoleTargets {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badTargets("cannot read \(path)") }
        return try parse(data)
    }

    /// Decodes and checks targets: names unique and non-empty, URLs http:// without a trailing
    /// slash, pids positive, every target watchable (a URL or a pid).
    public static func parse(_ data: Data) throws(ConsoleError) -> ConsoleTargets {
        let t: ConsoleTargets
        do { t = try JSONDecoder().decode(ConsoleTargets.self, from: data) } catch { throw .badTargets("not a targets document: \(error)") }
        var seen = Set<String>()
        for x in t.targets {
            guard !x.name.isEmpty, x.name.count <= 64 else { throw .badTargets("a target's name must be 1-64 characters") }
            guard seen.insert(x.name).inserted else { throw .badTargets("target '\(x.name)' listed twice") }
            guard x.url != nil || x.pid != nil else { throw .badTargets("target '\(x.name)' has neither url nor pid") }
            if let p = x.pid, p <= 0 { throw .badTargets("target '\(x.name)': pid must be positive") }
            if let u = x.url { try checkURL(u, "target '\(x.name)'") }
        }
        if let u = t.results { try checkURL(u, "results") }
        if let u = t.prometheus { try checkURL(u, "prometheus") }
        for tr in t.tracks ?? [] where tr.isEmpty || tr.count > 32 || !tr.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            throw .badTargets("track '\(tr)': 1-32 letters, digits, - or _")
        }
        return t
    }

    static func checkURL(_ u: String, _ what: String) throws(ConsoleError) {
        guard u.hasPrefix("http://") || u.hasPrefix("https://"), !u.hasSuffix("/"), u.count < 200, !u.contains(" ") else {
            throw .badTargets("\(what): url '\(u)' must be http(s)://host:port without a trailing slash")
        }
    }
}

/// The console's errors.
public enum ConsoleError: Error, Equatable, CustomStringConvertible {
    /// The targets file is unreadable or invalid.
    case badTargets(String)
    /// A snapshot asked for by number is no longer (or not yet) kept.
    case noSnapshot(Int)

    public var description: String {
        switch self {
        case .badTargets(let m): return "console targets: \(m)"
        case .noSnapshot(let n): return "snapshot \(n) is not kept (the console keeps the last \(ConsoleHistory.capacity))"
        }
    }
}
