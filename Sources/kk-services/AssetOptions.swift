import ArgumentParser
import Foundation
import KKAccessToken
import KKAssets
import KKAssetsCore
import KKPhysics
import Metrics

/// The assets service's flags: where the bundles are stored, the CDN in front of them and the
/// keys a manifest must be signed with.
struct AssetOptions: ParsableArguments {
    @Option(name: .customLong("assets-store"), help: "Assets: S3 endpoint of the bundle store, http://host:port (credentials: $KK_S3_ACCESS_KEY / $KK_S3_SECRET_KEY).") var store: String?
    @Option(name: .customLong("assets-bucket"), help: "Assets: bucket.") var bucket = "kk-assets"
    @Option(name: .customLong("assets-region"), help: "Assets: region.") var region = "us-east-1"
    @Option(name: .customLong("assets-cdn-url"), help: "Assets: the CDN's base URL (nginx with secure_link), http://host:port.") var cdnURL: String?
    @Option(name: .customLong("assets-link-secret"), help: "Assets: the CDN's secure_link secret, at least 16 characters (default: $KK_ASSET_LINK_SECRET).") var linkSecret: String?
    @Option(name: .customLong("assets-public-key"), help: ArgumentHelp("Assets: a manifest signing key to trust, kid:hex (repeatable; kk-assets public-key).", valueName: "kid:hex")) var publicKey: [String] = []
    @Option(name: .customLong("assets-url-seconds"), help: "Assets: how long handed-out CDN URLs work, seconds.") var urlSeconds = 600

    func validate(enabled: Bool) throws {
        guard enabled else { return }
        guard let store, store.hasPrefix("http://") || store.hasPrefix("https://") else { throw ValidationError("--services assets needs --assets-store http(s)://host:port") }
        guard let cdnURL, cdnURL.hasPrefix("http://") || cdnURL.hasPrefix("https://") else { throw ValidationError("--services assets needs --assets-cdn-url http(s)://host:port") }
        guard !publicKey.isEmpty else { throw ValidationError("--services assets needs --assets-public-key kid:hex") }
        do { _ = try TrustedKeys.parse(publicKey) } catch { throw ValidationError("--assets-public-key: \(error)") }
        guard (10...86_400).contains(urlSeconds) else { throw ValidationError("--assets-url-seconds must be 10-86400") }
    }

    func service(verifier: AccessTokenVerifier, metricsFactory: any MetricsFactory) throws -> AssetService {
        let env = ProcessInfo.processInfo.environment
        guard let secret = linkSecret ?? env["KK_ASSET_LINK_SECRET"], secret.count >= 16 else {
            throw ValidationError("assets: pass --assets-link-secret or set KK_ASSET_LINK_SECRET (at least 16 characters)")
        }
        guard let ak = env["KK_S3_ACCESS_KEY"], let sk = env["KK_S3_SECRET_KEY"], !ak.isEmpty, !sk.isEmpty else {
            throw ValidationError("assets: set KK_S3_ACCESS_KEY and KK_S3_SECRET_KEY")
        }
        guard let trusted = try? TrustedKeys.parse(publicKey) else { throw ValidationError("--assets-public-key: want kid:hex") }
        var config = AssetServiceConfig(cdnBaseURL: cdnURL ?? "", linkSecret: secret, trusted: trusted)
        config.urlSeconds = Int64(urlSeconds)
        let s3 = S3Store(endpoint: store ?? "", bucket: bucket, signer: SigV4(accessKeyId: ak, secretAccessKey: sk, region: region))
        return AssetService(store: s3, config: config, verifier: verifier, metricsFactory: metricsFactory)
    }

    /// Each lobby track's version (name -> SHA-256 of its bytes, the bundle's name): the file in
    /// `tracksDir` when there is one, else the built-in track.
    static func trackVersions(names: [String], tracksDir: String?) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in names {
            if let dir = tracksDir, let data = FileManager.default.contents(atPath: dir + "/" + name + ".track") {
                out[name] = SigV4.sha256Hex(data)
            } else if let source = try? TrackCatalog.source(named: name) {
                out[name] = SigV4.sha256Hex(Array(source.utf8))
            }
        }
        return out
    }
}
