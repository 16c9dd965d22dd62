import Crypto
import Foundation
import KKAssetsCore
import KKClientSDK
import KKPhysics

extension ClientCommand {
    /// The asset cache, refreshed from the assets service (or its stored manifest when the
    /// service is unreachable); nil without trusted keys or when neither is there.
    func openAssets(servicesURL: String, session: AuthSession) -> AssetCache? {
        guard !assetPublicKey.isEmpty else { return nil }
        let trusted: [String: Curve25519.Signing.PublicKey]
        do throws(AssetError) { trusted = try TrustedKeys.parse(assetPublicKey) } catch {
            ClientApp.errorLine("kk-client: --asset-public-key: \(error)")
            return nil
        }
        let env = ProcessInfo.processInfo.environment
        let dir = assetCache ?? ((env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/kartklash/assets")
        do throws(AssetCacheError) {
            let cache = try AssetCache(options: AssetCache.Options(directory: dir, trusted: trusted))
            let m = try cache.refresh(servicesURL: servicesURL, accessToken: session.accessToken)
            ClientApp.line("assets: build \(m.build) (\(cache.isOnline ? "online" : "offline: the stored manifest")), \(m.bundles.count) bundles, cache \(dir)")
            return cache
        } catch {
            ClientApp.errorLine("kk-client: assets unavailable (\(error)); racing on the built-in tracks")
            return nil
        }
    }

    /// The pinned track's text from its verified bundle (prefetched during the countdown: at
    /// most a wait for the download to finish); nil (the built-in track) when it cannot be had.
    func loadTrack(_ cache: AssetCache, sha256: String, name: String) -> String? {
        do throws(AssetCacheError) {
            let before = cache.stats.downloads
            let text = String(decoding: try cache.bytes(id: try bundleId(cache, sha256)), as: UTF8.self)
            guard (try? TrackParser.parse(text)) != nil else {
                ClientApp.errorLine("kk-client: the bundle of track \(name) does not parse; racing on the built-in track")
                return nil
            }
            let how = cache.stats.downloads > before ? "downloaded now" : "prefetched during the countdown"
            ClientApp.line("assets: track \(name) \(sha256.prefix(12)) verified (\(how))")
            return text
        } catch {
            ClientApp.errorLine("kk-client: track \(name) \(sha256.prefix(12)) unavailable (\(error)); racing on the built-in track")
            return nil
        }
    }

    private func bundleId(_ cache: AssetCache, _ sha256: String) throws(AssetCacheError) -> String {
        guard let b = cache.manifest?.bundles.first(where: { $0.sha256 == sha256 }) else { throw .unknownBundle(sha256) }
        return b.id
    }
}
