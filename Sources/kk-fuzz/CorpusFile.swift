import Foundation

/// Corpus file names and directory walking.
enum CorpusFile {
    /// A content name (FNV-1a 64, hex): the same seed is written once.
    static func name(of bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// The files named, with directories replaced by their regular files (sorted).
    static func expand(_ paths: [String]) throws -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: p]) }
            if isDir.boolValue {
                out += try fm.contentsOfDirectory(atPath: p).sorted().map { "\(p)/\($0)" }.filter {
                    var d: ObjCBool = false
                    return fm.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
                }
            } else {
                out.append(p)
            }
        }
        return out
    }
}
