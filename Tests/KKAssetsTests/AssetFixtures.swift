import Crypto
import Foundation
import KKAssets
import KKAssetsCore
import KKLocalStack
import KKTestSupport

/// Real components for the asset tests: moto (S3 API) with a fresh bucket, nginx as the CDN
/// (Ops/scripts/nginx-cdn.sh) in front of it; stopped by pid.
struct AssetFixture: @unchecked Sendable {
    let moto: MotoTestServer.Running
    let store: S3Store
    let bucket: String
    let key = Curve25519.Signing.PrivateKey()
    var trusted: [String: Curve25519.Signing.PublicKey] { ["k1": key.publicKey] }

    init() async throws {
        moto = try MotoTestServer.start()
        bucket = "kk-assets-\(UInt32.random(in: 0...UInt32.max))"
        store = S3Store(endpoint: moto.endpoint, bucket: bucket, signer: SigV4(accessKeyId: "testing", secretAccessKey: "testing", region: "us-east-1"))
        try await store.createBucket()
    }

    func stop() { moto.process.stop() }

    /// The tracks of Config/tracks as bundle contents.
    static func tracks() throws -> [(id: String, kind: String, bytes: [UInt8])] {
        let dir = SystemTest.packageRoot.appendingPathComponent("Config/tracks")
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".track") }.sorted().map { name in
            ("track/" + name.dropLast(6), "track", Array(try Data(contentsOf: dir.appendingPathComponent(name))))
        }
    }

    /// nginx CDN in front of the bucket: port, master pid and its directory.
    struct CDN {
        let port: Int
        let pid: Int32
        let dir: String
        let secret: String
        var base: String { "http://127.0.0.1:\(port)" }
        func stop() { kill(pid, SIGTERM); try? FileManager.default.removeItem(atPath: dir) }
    }

    func startCDN() throws -> CDN {
        let secret = "cdn-secret-\(UInt32.random(in: 0...UInt32.max))"
        let script = SystemTest.packageRoot.appendingPathComponent("Ops/scripts/nginx-cdn.sh").path
        let answer = NSTemporaryDirectory() + "kk-cdn-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { try? FileManager.default.removeItem(atPath: answer) }
        let starter = try ChildProcess(path: "/bin/bash", arguments: ["-c", "bash \"$0\" \"$1\" \"$2\" > \"$3\"", script, "\(moto.endpoint)/\(bucket)", secret, answer])
        guard starter.wait(seconds: 30).map({ ($0 >> 8) & 0xff }) == 0 else { throw FixtureError("nginx-cdn.sh failed") }
        let fields = ((try? String(contentsOfFile: answer, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 3, let port = Int(fields[0]), let pid = Int32(fields[1]) else { throw FixtureError("nginx-cdn.sh: \(fields)") }
        return CDN(port: port, pid: pid, dir: fields[2], secret: secret)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs blocking client code (the SDK's blocking HTTP) on a thread of its own, off the
/// cooperative pool the in-process service needs.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
        Thread.detachNewThread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
    }
}
