import Crypto
import Foundation
import KKAssets
import KKAssetsCore
import KKLocalStack
import KKTestSupport
import Testing

/// Publishing the tracks of Config/tracks to a real S3 API (moto_server on loopback) with SigV4:
/// bundles stored under their content hash once, the signed manifest, the "current" pointer
/// moved last; a second build shares the unchanged bundles; rollback moves the pointer back;
/// what comes back verifies, and a tampered bundle or manifest is refused.
@Suite(.serialized) struct AssetPublisherTests {
    func tracks() throws -> [(id: String, kind: String, bytes: [UInt8])] { try AssetFixture.tracks() }

    @Test func publishRollbackAndVerifyAgainstARealS3API() async throws {
        let moto = try MotoTestServer.start()
        defer { moto.process.stop() }
        let store = S3Store(endpoint: moto.endpoint, bucket: "kk-assets-\(UInt32.random(in: 0...UInt32.max))",
                            signer: SigV4(accessKeyId: "testing", secretAccessKey: "testing", region: "us-east-1"))
        try await store.createBucket()
        let key = Curve25519.Signing.PrivateKey()
        let trusted = ["k1": key.publicKey]
        let publisher = AssetPublisher(store: store)
        let contents = try tracks()
        #expect(contents.count >= 3)
        let first = try await publisher.publish(contents, build: "b1", platform: "linux", keyId: "k1", key: key)
        #expect(first.uploaded == contents.count && first.alreadyStored == 0)
        // A second build changes one track: only that bundle is new.
        var changed = contents
        changed[0].bytes += Array("\n# changed\n".utf8)
        let second = try await publisher.publish(changed, build: "b2", platform: "linux", keyId: "k1", key: key)
        #expect(second.uploaded == 1 && second.alreadyStored == contents.count - 1)
        let (p2, m2) = try #require(try await publisher.current(platform: "linux", trusted: trusted))
        #expect(p2.build == "b2" && m2.build == "b2" && m2.bundles.count == contents.count)
        // Every bundle downloads and verifies by size and hash.
        for b in m2.bundles {
            let bytes = try #require(try await store.get(AssetPublisher.bundleKey(b)))
            try b.verify(bytes)
        }
        try await publisher.rollback(platform: "linux", to: "b1")
        #expect(try await publisher.current(platform: "linux", trusted: trusted)?.0.build == "b1")
        await #expect(throws: (any Error).self) { try await publisher.rollback(platform: "linux", to: "b9") }
        #expect(try await publisher.current(platform: "linux", trusted: trusted)?.0.build == "b1", "a failed rollback moves nothing")
        // Tampering: a bundle's bytes replaced in the store, a manifest re-signed by another key.
        let victim = m2.bundles[1]
        try await store.put(AssetPublisher.bundleKey(victim), Array("evil".utf8))
        let evil = try #require(try await store.get(AssetPublisher.bundleKey(victim)))
        #expect(throws: (any Error).self) { try victim.verify(evil) }
        let forged = try SignedManifest(m2, keyId: "k1", key: Curve25519.Signing.PrivateKey())
        try await store.put(AssetPublisher.manifestKey(platform: "linux", build: "b1"), Array(try JSONEncoder().encode(forged)))
        await #expect(throws: AssetError.badSignature) { _ = try await publisher.current(platform: "linux", trusted: trusted) }
    }

    /// The kk-assets command against the same real S3 API: publish, current, rollback; bad input
    /// and missing credentials are a message and exit 64.
    @Test func kkAssetsPublishesAndRollsBack() throws {
        let moto = try MotoTestServer.start()
        defer { moto.process.stop() }
        let dir = SystemTest.tempDir("kk-assets")
        let seed = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let env = ["KK_S3_ACCESS_KEY": "testing", "KK_S3_SECRET_KEY": "testing", "KK_ASSET_SIGNING_KEY": seed]
        let tracks = SystemTest.packageRoot.appendingPathComponent("Config/tracks").path
        func run(_ name: String, _ args: [String], env: [String: String]) throws -> (Int32?, String) {
            let p = try ChildProcess(path: SystemTest.product("kk-assets"), arguments: args, environment: env, logPath: "\(dir)/\(name).log")
            let status = p.wait(seconds: 60).map { ($0 >> 8) & 0xff }
            return (status, (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .utf8)) ?? "")
        }
        let common = ["--endpoint", moto.endpoint, "--bucket", "kk-assets-cli", "--platform", "linux"]
        let (s1, o1) = try run("publish1", ["publish"] + common + ["--build", "b1", "--tracks", tracks], env: env)
        #expect(s1 == 0 && o1.contains("bundles uploaded") && o1.contains("current -> b1"), "\(o1)")
        let (s2, o2) = try run("publish2", ["publish"] + common + ["--build", "b2", "--tracks", tracks], env: env)
        #expect(s2 == 0 && o2.contains("0 bundles uploaded"), "unchanged bundles are not uploaded again: \(o2)")
        let (s3, o3) = try run("rollback", ["rollback"] + common + ["--build", "b1"], env: env)
        #expect(s3 == 0, "\(o3)")
        let (s4, o4) = try run("current", ["current"] + common, env: env)
        #expect(s4 == 0 && o4.contains("current b1") && o4.contains("track/oval"), "\(o4)")
        let (s5, o5) = try run("nokey", ["publish"] + common + ["--build", "b3", "--tracks", tracks], env: ["KK_S3_ACCESS_KEY": "testing", "KK_S3_SECRET_KEY": "testing"])
        #expect(s5 == 64 && o5.contains("KK_ASSET_SIGNING_KEY"), "\(o5)")
        let (s6, o6) = try run("badbuild", ["publish"] + common + ["--build", "../etc"], env: env)
        #expect(s6 == 64, "\(o6)")
        let (s7, o7) = try run("badrollback", ["rollback"] + common + ["--build", "b9"], env: env)
        #expect(s7 == 1 && o7.contains("404"), "\(o7)")
    }

    /// nginx as the CDN in front of the bucket (Ops/scripts/nginx-cdn.sh): a signed URL serves
    /// the bundle (and its ranges, cached after the first fetch); a bad signature is 403, an
    /// expired URL 410; the bytes verify against the manifest.
    @Test func theCDNServesSignedExpiringURLsWithRanges() async throws {
        let fx = try await AssetFixture()
        defer { fx.stop() }
        let store = fx.store, key = fx.key
        _ = try await AssetPublisher(store: store).publish(try tracks(), build: "b1", platform: "linux", keyId: "k1", key: key)
        let manifest = try #require(try await AssetPublisher(store: store).current(platform: "linux", trusted: ["k1": key.publicKey])?.1)
        let cdn = try fx.startCDN()
        defer { cdn.stop() }
        let port = cdn.port, secret = cdn.secret
        let b = try #require(manifest.bundle("track/oval"))
        let uri = "/" + AssetPublisher.bundleKey(b)
        let later = Int64(Date().timeIntervalSince1970) + 300
        let good = SecureLink.url(base: "", uri: uri, expires: later, secret: secret)
        let full = try #require(LocalProbe.http(port: port, path: good))
        #expect(full.status == 200 && full.body.utf8.count == b.size, "\(full.status)")
        try b.verify(Array(full.body.utf8))
        let bad = SecureLink.url(base: "", uri: uri, expires: later, secret: "not-the-secret")
        #expect(LocalProbe.http(port: port, path: bad)?.status == 403)
        #expect(LocalProbe.http(port: port, path: uri)?.status == 403, "no signature")
        let past = SecureLink.url(base: "", uri: uri, expires: Int64(Date().timeIntervalSince1970) - 10, secret: secret)
        #expect(LocalProbe.http(port: port, path: past)?.status == 410)
        let range = try #require(LocalProbe.http(port: port, path: good, headers: ["Range": "bytes=0-9"]))
        #expect(range.status == 206 && range.body == String(full.body.prefix(10)), "\(range.status)")
    }
}
