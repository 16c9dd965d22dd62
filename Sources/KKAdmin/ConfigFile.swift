import Foundation

/// Reads a process's JSON config file (Config/*.json); errors name the file and the problem.
public enum ConfigFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Decodes `path` as `T`, or returns `fallback` when `path` is nil.
    public static func load<T: Decodable>(_ type: T.Type, path: String?, fallback: T) throws(LoadError) -> T {
        guard let path else { return fallback }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read config file \(path)")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw LoadError(description: "config file \(path) is not valid: \(error)")
        }
    }
}
