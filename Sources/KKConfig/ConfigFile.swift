import Foundation

/// Reads a process's JSON config file (Config/*.json); errors name the file and the problem.
///
/// A file lists only what it changes: keys it leaves out keep the built-in defaults (the
/// `fallback`), and a key the config type does not have is an error (a typo must not be
/// silently ignored). Values of the wrong type are errors naming the key.
public enum ConfigFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Decodes `path` over `fallback`, or returns `fallback` when `path` is nil.
    public static func load<T: Codable>(_ type: T.Type, path: String?, fallback: T) throws(LoadError) -> T {
        guard let path else { return fallback }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError("cannot read config file \(path)")
        }
        return try decode(type, data: data, over: fallback, name: path)
    }

    /// The same from bytes (`name` appears in errors).
    public static func decode<T: Codable>(_ type: T.Type, data: Data, over fallback: T, name: String) throws(LoadError) -> T {
        let file: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw LoadError("config file \(name) must hold one JSON object")
            }
            file = object
        } catch let e as LoadError {
            throw e
        } catch {
            throw LoadError("config file \(name) is not valid JSON: \(error.localizedDescription)")
        }
        let known = Set(Mirror(reflecting: fallback).children.compactMap(\.label))
        let unknown = file.keys.filter { !known.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw LoadError("config file \(name): unknown key(s) \(unknown.joined(separator: ", ")) (known: \(known.sorted().joined(separator: ", ")))")
        }
        let base: [String: Any]
        do { base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(fallback)) as? [String: Any] ?? [:] } catch {
            throw LoadError("config defaults cannot be encoded: \(error)")
        }
        func decoded(_ object: [String: Any]) throws -> T {
            try JSONDecoder().decode(T.self, from: JSONSerialization.data(withJSONObject: object))
        }
        do {
            return try decoded(base.merging(file) { _, new in new })
        } catch {
            // Name the key: the defaults with one of the file's keys at a time.
            for k in file.keys.sorted() where (try? decoded(base.merging([k: file[k]!]) { _, new in new })) == nil {
                throw LoadError("config file \(name): \(k): the value \(file[k]!) does not fit its type")
            }
            throw LoadError("config file \(name) is not valid: \(error)")
        }
    }
}
