import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import KKAccessToken
import KKAdmin
import KKAssets
import KKAssetsCore
@testable import KKClientSDK
import KKLobbyCore
import KKLocalStack
import KKTestSupport
import Metrics
import Testing

/// The whole delivery path on real components: kk-assets' publisher into moto (S3 API), nginx as
/// the CDN with signed expiring links, the assets service handing out those links, and the
/// client's cache downloading, resuming, verifying, bounding and working offline.
@Suite(.serialized) struct AssetCacheTests {
    struct Service {
        let router: Router<ServiceRequestContext>
        let token: String
    }

    /// The assets service over `fx`'s store and `cdn`, and an access token for it.
    func service(_ fx: AssetFixture, cdn: AssetFixture.CDN, urlSeconds: Int64 = 600) async throws -> Service {
        let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0 ^ 0x5a) })
        var config = AssetServiceConfig(cdnBaseURL: cdn.base, linkSecret: cdn.secret, trusted: fx.trusted)
        config.urlSeconds = urlSeconds
        config.cacheMillis = 0
        let svc = AssetService(store: fx.store, config: config, verifier: try await AccessTokenVerifier(publicKeys: [signer.publicKey]),
                               metricsFactory: NOOPMetricsHandler.instance)
        let router = Router(context: ServiceRequestContext.self)
        svc.addRoutes(to: router)
        let token = try await signer.sign(AccessClaims(account: 4242, session: UUID(), issuedAt: Date(), lifetimeSeconds: 300))
        return Service(router: router, token: token)
    }

    func cache(_ dir: String, _ fx: AssetFixture, capacity: Int = 64 << 20, trusted: [String: Curve25519.Signing.PublicKey]? = nil) throws -> AssetCache {
        var o = AssetCache.Options(directory: dir, trusted: trusted ?? fx.trusted)
        o.capacityBytes = capacity
        o.timeoutMillis = 5_000
        return try AssetCache(options: o)
    }

    static func random(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    @Test func downloadResumeVerifyBoundAndOffline() async throws {
        let fx = try await AssetFixture()
        defer { fx.stop() }
        let big = Self.random(1_500_000)
        let contents = try AssetFixture.tracks() + [("blob/big", "blob", big)]
        _ = try await AssetPublisher(store: fx.store).publish(contents, build: "b1", platform: "linux", keyId: "k1", key: fx.key)
        let cdn = try fx.startCDN()
        defer { cdn.stop() }
        let svc = try await service(fx, cdn: cdn)
        let dir = SystemTest.tempDir("kk-asset-cache")
        let oval = try Data(contentsOf: SystemTest.packageRoot.appendingPathComponent("Config/tracks/oval.track"))
        let token = svc.token
        let servicesURL = try await Application(router: svc.router).test(.live) { http -> String in
            let url = "http://127.0.0.1:\(try #require(http.port))"
            try await offPool {
                let c = try cache(dir, fx)
                // No token: 401, nothing stored.
                #expect(failure { try c.refresh(servicesURL: url, accessToken: "forged") } == "http_401")
                let m = try c.refresh(servicesURL: url, accessToken: token)
                #expect(m.build == "b1" && c.isOnline)
                // A track: downloaded through nginx, verified, then a hit.
                #expect(try c.bytes(id: "track/oval") == Array(oval))
                #expect(try c.bytes(id: "track/oval") == Array(oval))
                #expect(c.stats.downloads == 1 && c.stats.hits >= 1, "\(c.stats)")
                // Resume: the first 600 kB of the big bundle are on disk already.
                let bb = try #require(m.bundle("blob/big"))
                try Data(big[0..<600_000]).write(to: URL(fileURLWithPath: "\(dir)/partial/\(bb.sha256)"))
                let before = c.stats.bytesDownloaded
                #expect(try c.bytes(id: "blob/big") == big)
                #expect(c.stats.resumed == 1 && c.stats.bytesDownloaded - before == big.count - 600_000, "\(c.stats)")
                // A partial file with wrong bytes: completed, refused by hash, deleted; the next try is clean.
                let canyon = try #require(m.bundle("track/canyon"))
                try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: "\(dir)/partial/\(canyon.sha256)"))
                #expect(failure { _ = try c.bundle(id: "track/canyon") } == "refused")
                #expect(!c.has(sha256: canyon.sha256) && !FileManager.default.fileExists(atPath: "\(dir)/partial/\(canyon.sha256)"))
                _ = try c.bundle(id: "track/canyon")
                #expect(c.has(sha256: canyon.sha256))
                // A full disk: the partial file is /dev/full. A clear error; the cached bundles stay.
                let sprint = try #require(m.bundle("track/sprint"))
                try FileManager.default.createSymbolicLink(atPath: "\(dir)/partial/\(sprint.sha256)", withDestinationPath: "/dev/full")
                #expect(failure { _ = try c.bundle(id: "track/sprint") } == "disk_full")
                #expect(!c.has(sha256: sprint.sha256) && c.has(sha256: canyon.sha256) && c.has(sha256: bb.sha256))
                try FileManager.default.removeItem(atPath: "\(dir)/partial/\(sprint.sha256)")
                _ = try c.bundle(id: "track/sprint")
                // Unknown bundle id.
                #expect(failure { _ = try c.bundle(id: "track/nope") } == "unknown_bundle")
                // A client that trusts another key refuses the service's manifest and keeps its own.
                let other = try cache(dir, fx, trusted: ["k1": Curve25519.Signing.PrivateKey().publicKey])
                #expect(failure { try other.refresh(servicesURL: url, accessToken: token) } == "refused")
            }
            // Prefetch while a room counts down: the vote leader's track.
            try await offPool {
                let c = try cache(SystemTest.tempDir("kk-asset-prefetch"), fx)
                try c.refresh(servicesURL: url, accessToken: token)
                let json = #"{"type":"room","room":{"id":"r1","host":1,"phase":"countdown","startsAtMillis":1,"seats":8,"tracks":["oval","canyon","sprint"],"# +
                    #""members":[{"account":1,"ready":true,"vote":"sprint"},{"account":2,"ready":true,"vote":"sprint"},{"account":3,"ready":true,"vote":"canyon"}]}}"#
                let msg = try JSONDecoder().decode(LobbyMessage.self, from: Data(json.utf8))
                #expect(c.observe(msg) == "track/sprint")
                var outcome: Result<String, AssetCacheError>?
                #expect(c.observe(msg) == "track/sprint", "observing again while it runs starts nothing new")
                for _ in 0..<1000 {
                    outcome = c.prefetched("track/sprint")
                    if outcome != nil { break }
                    usleep(10_000)
                }
                guard case .success(let path) = outcome else { Issue.record("prefetch: \(String(describing: outcome))"); return }
                #expect(FileManager.default.fileExists(atPath: path) && c.stats.downloads == 1)
            }
            return url
        }
        // The service is gone: the stored manifest (verified again) and the cached bundles work.
        let url = servicesURL
        try await offPool {
            let c = try cache(dir, fx)
            let m = try c.refresh(servicesURL: url, accessToken: token)
            #expect(m.build == "b1" && !c.isOnline)
            #expect(try c.bytes(id: "track/oval") == Array(oval))
            // Nothing to download from offline: a clear error for a bundle it never had.
            try FileManager.default.removeItem(atPath: "\(dir)/bundles/\(try #require(m.bundle("track/sprint")).sha256)")
            #expect(failure { _ = try c.bundle(id: "track/sprint") } == "offline")
            // A fresh directory offline has nothing at all.
            #expect(failure { try cache(SystemTest.tempDir("kk-asset-empty"), fx).refresh(servicesURL: url, accessToken: token) } == "offline")
        }
    }

    @Test func theCacheStaysWithinItsBoundLeastRecentlyUsedFirst() async throws {
        let fx = try await AssetFixture()
        defer { fx.stop() }
        let blobs = (0..<4).map { i in ("blob/\(i)", "blob", Self.random(300_000)) }
        _ = try await AssetPublisher(store: fx.store).publish(blobs, build: "b1", platform: "linux", keyId: "k1", key: fx.key)
        let cdn = try fx.startCDN()
        defer { cdn.stop() }
        let svc = try await service(fx, cdn: cdn)
        let token = svc.token
        try await Application(router: svc.router).test(.live) { http in
            let url = "http://127.0.0.1:\(try #require(http.port))"
            try await offPool {
                // Room for three.
                let c = try cache(SystemTest.tempDir("kk-asset-lru"), fx, capacity: 950_000)
                let m = try c.refresh(servicesURL: url, accessToken: token)
                _ = try c.bundle(id: "blob/0"); usleep(20_000)
                _ = try c.bundle(id: "blob/1"); usleep(20_000)
                _ = try c.bundle(id: "blob/2"); usleep(20_000)
                _ = try c.bundle(id: "blob/0"); usleep(20_000)  // 0 used again: 1 is now the oldest
                _ = try c.bundle(id: "blob/3")
                func has(_ i: Int) throws -> Bool { c.has(sha256: try #require(m.bundle("blob/\(i)")).sha256) }
                #expect(try has(0) && !has(1) && has(2) && has(3), "\(c.stats)")
                #expect(c.stats.evicted == 1)
                // A bundle larger than the whole cache is refused up front.
                let tiny = try cache(SystemTest.tempDir("kk-asset-tiny"), fx, capacity: 1000)
                try tiny.refresh(servicesURL: url, accessToken: token)
                #expect(failure { _ = try tiny.bundle(id: "blob/0") } == "too_large")
            }
        }
    }

    /// Links the service hands out have expired: the cache renews them once through the
    /// service, and says so clearly when the new ones are no better. A tampered bundle in the
    /// store never reaches the cache's directory.
    @Test func expiredLinksAndTamperedBundlesAreRefused() async throws {
        let fx = try await AssetFixture()
        defer { fx.stop() }
        let contents = try AssetFixture.tracks()
        _ = try await AssetPublisher(store: fx.store).publish(contents, build: "b1", platform: "linux", keyId: "k1", key: fx.key)
        let cdn = try fx.startCDN()
        defer { cdn.stop() }
        let svc = try await service(fx, cdn: cdn, urlSeconds: -5)
        let manifest = try #require(try await AssetPublisher(store: fx.store).current(platform: "linux", trusted: fx.trusted)?.1)
        let oval = try #require(manifest.bundle("track/oval"))
        try await fx.store.put(AssetPublisher.bundleKey(oval), Array("# evil track\n".utf8) + Array(repeating: 0x20, count: oval.size - 13), publicRead: true)
        let token = svc.token
        try await Application(router: svc.router).test(.live) { http in
            let url = "http://127.0.0.1:\(try #require(http.port))"
            try await offPool {
                let c = try cache(SystemTest.tempDir("kk-asset-expired"), fx)
                try c.refresh(servicesURL: url, accessToken: token)
                #expect(failure { _ = try c.bundle(id: "track/canyon") } == "http_410")
                #expect(c.stats.linksRenewed == 1)
            }
        }
        let fresh = try await service(fx, cdn: cdn)
        try await Application(router: fresh.router).test(.live) { http in
            let url = "http://127.0.0.1:\(try #require(http.port))"
            try await offPool {
                let c = try cache(SystemTest.tempDir("kk-asset-tamper"), fx)
                try c.refresh(servicesURL: url, accessToken: token)
                #expect(failure { _ = try c.bundle(id: "track/oval") } == "refused")
                #expect(!c.has(sha256: oval.sha256) && c.stats.refused == 1)
            }
        }
    }

    /// The error code a call fails with (nil: it did not fail).
func failure(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch let e as AssetCacheError { return e.code } catch { return "other: \(error)" }
}

/// A body cut short is reported as such, and the part kept resumes.
    @Test func aTruncatedDownloadIsReportedAndKept() throws {
        let body = Self.random(10_000)
        let server = try OneShotHTTPServer(response: Array("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\nConnection: close\r\n\r\n".utf8) + body[0..<4_000])
        let path = SystemTest.tempDir("kk-trunc") + "/part"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        defer { close(fd) }
        #expect(throws: HTTPDownload.Failure.truncated(got: 4_000, expected: 10_000)) {
            _ = try HTTPDownload.fetch(url: "http://127.0.0.1:\(server.port)/x", into: fd, offset: 0, total: 10_000, timeoutMillis: 5_000)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(body[0..<4_000]))
        // A server sending more than the manifest's size is refused before writing past it.
        let liar = try OneShotHTTPServer(response: Array("HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n".utf8))
        #expect(throws: HTTPDownload.Failure.tooLarge(20_000)) {
            _ = try HTTPDownload.fetch(url: "http://127.0.0.1:\(liar.port)/x", into: fd, offset: 0, total: 10_000, timeoutMillis: 5_000)
        }
    }
}

/// Answers one connection with fixed bytes, then closes it.
final class OneShotHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32

    init(response: [UInt8]) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) } } == 0 && listen(sock, 4) == 0
        guard ok else { throw FixtureError("bind: \(errno)") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = Int(UInt16(bigEndian: addr.sin_port))
        let listener = fd
        Thread.detachNewThread {
            let c = accept(listener, nil, nil)
            guard c >= 0 else { return }
            var buf = [UInt8](repeating: 0, count: 4096)
            _ = recv(c, &buf, buf.count, 0)
            _ = response.withUnsafeBytes { send(c, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            close(c)
            close(listener)
        }
    }
}
