import Foundation
import KKPhysics
import XCTest

/// Runs the built `kk-replay` binary in a separate process and checks that its per-tick
/// hashes equal an in-process replay of the same log, and the committed golden hash.
final class CrossProcessDeterminismTests: XCTestCase {
    static let goldenFinalHash: UInt64 = 811_976_053_964_594_915

    var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The kk-replay binary next to the test bundle (swift-build's product directory).
    func replayBinary() throws -> URL {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            var dir = URL(fileURLWithPath: first).deletingLastPathComponent()
            if dir.path.hasSuffix(".xctest/Contents/MacOS") {
                dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            }
            candidates.append(dir.appendingPathComponent("kk-replay"))
        }
        for config in ["debug", "release"] { candidates.append(packageRoot.appendingPathComponent(".build/\(config)/kk-replay")) }
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
        throw XCTSkip("kk-replay not built; run `swift build --product kk-replay` first (looked in \(candidates.map { $0.path }))")
    }

    func run(_ binary: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = Pipe()
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testSeparateProcessGivesIdenticalPerTickHashes() throws {
        let binary = try replayBinary()
        let logURL = packageRoot.appendingPathComponent("Tests/KKPhysicsTests/Fixtures/golden-oval-8kart-60s.kklog")
        let (status, output) = try run(binary, [logURL.path])
        XCTAssertEqual(status, 0)
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.count, 3601)
        let log = try InputLog(parsing: try String(contentsOf: logURL, encoding: .utf8))
        var expected: [String] = []
        let final = try log.replay { s in
            let h = String(s.hash, radix: 16)
            expected.append("tick \(s.tick) \(String(repeating: "0", count: 16 - h.count))\(h)")
        }
        XCTAssertEqual(lines.dropLast().map(String.init), expected)
        XCTAssertEqual(final.hash, Self.goldenFinalHash)
        let finalFields = lines.last!.split(separator: " ")
        XCTAssertEqual(finalFields.first, "final")
        XCTAssertEqual(UInt64(finalFields.last!, radix: 16), Self.goldenFinalHash)
    }

    func testBadLogExitsWithError() throws {
        let binary = try replayBinary()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("kk-bad-\(getpid()).kklog")
        try "kklog 1\ntrack nowhere\nplayers 2\nseed 1\nticks 5\n".write(to: tmp, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: tmp) }
        XCTAssertEqual(try run(binary, [tmp.path]).status, 3)
        XCTAssertEqual(try run(binary, ["/nonexistent/x.kklog"]).status, 2)
        XCTAssertEqual(try run(binary, []).status, 1)
    }
}
