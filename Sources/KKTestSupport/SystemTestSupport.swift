import Foundation
import Glibc
@_exported import KKLocalStack

/// Helpers for tests that run the real executables (kk-shard, kk-relay, kk-match); the probes
/// themselves live in ``LocalProbe`` (KKLocalStack), which kk-load uses too.
public enum SystemTest {
    /// The package root (this file is Sources/KKTestSupport/SystemTestSupport.swift).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Path of a built product next to the test bundle (the test target depends on it, so
    /// `swift test` builds it first). `KK_PRODUCTS_DIR` names a directory searched first: the
    /// system tests then run, say, the ThreadSanitizer builds of kk-relay and kk-shard
    /// (`.build-tsan/release`, see LoadTests/README.md) where it holds them.
    public static func product(_ name: String) -> String {
        var candidates: [String] = []
        if let dir = ProcessInfo.processInfo.environment["KK_PRODUCTS_DIR"], !dir.isEmpty {
            candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(name).path)
        }
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent(name).path)
        }
        for c in ["debug", "release"] { candidates.append(packageRoot.appendingPathComponent(".build/\(c)/\(name)").path) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// A fresh directory for logs of one test.
    public static func tempDir(_ name: String) -> String {
        let dir = "/tmp/kk-test-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Compiles Tests/CAPI/`source` with /usr/bin/cc (C11, warnings as errors) against
    /// libKartKlashClient.so next to the built products into `exe`; nil when it compiled, else
    /// what cc said (or that the library is missing).
    public static func compileCProgram(_ source: String, to exe: String, logDir: String) throws -> String? {
        let productDir = URL(fileURLWithPath: product("kk-relay")).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: "\(productDir)/libKartKlashClient.so") else {
            return "\(productDir)/libKartKlashClient.so is missing: build it with `swift build --product KartKlashClient`"
        }
        let root = packageRoot.path
        let cc = try ChildProcess(path: "/usr/bin/cc", arguments: [
            "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", "\(root)/Sources/CKartKlashClient/include", "\(root)/Tests/CAPI/\(source)",
            "-L", productDir, "-lKartKlashClient", "-Wl,-rpath,\(productDir)", "-o", exe,
        ], logPath: "\(logDir)/cc.log")
        if cc.wait(seconds: 60) == 0 { return nil }
        return "cc failed: " + ((try? String(contentsOfFile: "\(logDir)/cc.log", encoding: .utf8)) ?? "")
    }

    // Forwarded to LocalProbe.
    public static func freePort(udp: Bool = false) -> UInt16 { LocalProbe.freePort(udp: udp) }
    public static func http(_ method: String = "GET", port: Int, path: String, body: String = "") -> (status: Int, body: String)? {
        LocalProbe.http(method, port: port, path: path, body: body)
    }
    public static func eventually(seconds: Double, _ condition: () -> Bool) -> Bool { LocalProbe.eventually(seconds: seconds, condition) }
    public static func metric(_ text: String, _ name: String) -> Double? { LocalProbe.metric(text, name) }
}
