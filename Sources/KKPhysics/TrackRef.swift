/// A track as a match's allocation names it: its name and, when the allocator pins the exact
/// version, the SHA-256 of its bundle (the track file's bytes, as published by kk-assets). Text
/// form `name` or `name@<64 hex>` (the `track` field of a match in Redis).
public struct TrackRef: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// Lower-case hex SHA-256 of the track's bytes; nil: any version of that name.
    public var sha256: String?

    public init(name: String, sha256: String? = nil) { self.name = name; self.sha256 = sha256 }

    /// Parses `name` or `name@sha256`; nil for an empty name or a hash that is not 64 hex digits.
    public init?(parsing text: String) {
        guard let at = text.firstIndex(of: "@") else {
            guard !text.isEmpty else { return nil }
            self.init(name: text)
            return
        }
        let name = String(text[..<at]), hash = String(text[text.index(after: at)...]).lowercased()
        guard !name.isEmpty, hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.init(name: name, sha256: hash)
    }

    public var description: String { sha256.map { "\(name)@\($0)" } ?? name }
}
