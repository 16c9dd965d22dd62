import Foundation

/// Reads docs/PROTOCOL.md and its labelled examples, so tests can keep the spec true.
///
/// An example is an HTML comment `<!-- example: NAME -->` followed (blank lines allowed) by a
/// fenced block; the block's info string is its language (`hex`, `text`, `json`).
public enum ProtocolDoc {
    public struct Example: Equatable, Sendable {
        public var name: String
        public var language: String
        public var body: String
        /// 1-based line of the marker.
        public var line: Int
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The text of docs/PROTOCOL.md, found from a test file's `#filePath` (Tests/<target>/<file>.swift).
    public static func text(testFile: String = #filePath) throws -> String {
        let root = URL(fileURLWithPath: testFile).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
    }

    /// Every labelled example, in document order. Throws on a marker without a fenced block,
    /// an unterminated block, a repeated name, or a ```hex block that has no marker.
    public static func examples(in text: String) throws -> [Example] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        var out: [Example] = []
        var seen = Set<String>()
        var i = 0
        var pending: (name: String, line: Int)?
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("<!-- example:") {
                guard pending == nil else { throw ParseError(description: "line \(i + 1): marker follows a marker") }
                guard line.hasSuffix("-->") else { throw ParseError(description: "line \(i + 1): bad marker") }
                let name = line.dropFirst("<!-- example:".count).dropLast("-->".count)
                    .trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, !seen.contains(name) else {
                    throw ParseError(description: "line \(i + 1): empty or repeated example name '\(name)'")
                }
                seen.insert(name)
                pending = (name, i + 1)
            } else if line.hasPrefix("```") {
                let language = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
                var body: [String] = []
                i += 1
                while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" {
                    body.append(lines[i])
                    i += 1
                }
                guard i < lines.count else { throw ParseError(description: "unterminated ``` block") }
                if let p = pending {
                    out.append(Example(name: p.name, language: language, body: body.joined(separator: "\n"), line: p.line))
                    pending = nil
                } else if language == "hex" {
                    throw ParseError(description: "line \(i + 1): ```hex block without an example marker")
                }
            } else if !line.isEmpty, let p = pending {
                throw ParseError(description: "line \(p.line): marker '\(p.name)' is not followed by a fenced block")
            }
            i += 1
        }
        if let p = pending { throw ParseError(description: "line \(p.line): marker '\(p.name)' at end of file") }
        return out
    }
}
