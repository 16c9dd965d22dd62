import ArgumentParser
import Crypto
import Foundation
import KKAssets
import KKAssetsCore
import KKToken

/// `kk-assets`: publishes the tracks (Config/tracks) as content-addressed bundles with a signed
/// manifest to an S3-compatible store and moves the platform's "current" pointer; `rollback`
/// moves it back; `current` prints what clients get (verified). Credentials from
/// `$KK_S3_ACCESS_KEY` / `$KK_S3_SECRET_KEY`, the Ed25519 signing seed from
/// `$KK_ASSET_SIGNING_KEY` (64 hex). Bad input: a message and exit 64; a store error: exit 1.
@main
struct AssetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-assets", abstract: "Publish asset bundles (the tracks) to S3-compatible storage, roll back, show the current build.",
        subcommands: [Publish.self, Rollback.self, Current.self, PublicKey.self])

    /// The Ed25519 signing key from `$KK_ASSET_SIGNING_KEY` (its 32-byte seed in hex).
    static func signingKey() throws -> Curve25519.Signing.PrivateKey {
        guard let hex = ProcessInfo.processInfo.environment["KK_ASSET_SIGNING_KEY"], let seed = TokenKey.bytes(hex: hex), seed.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw ValidationError("set KK_ASSET_SIGNING_KEY (64 hex characters: the Ed25519 seed)")
        }
        return key
    }

    struct Store: ParsableArguments {
        @Option(help: "S3 endpoint, http://host:port (path-style addressing).") var endpoint: String
        @Option(help: "Bucket.") var bucket = "kk-assets"
        @Option(help: "Region.") var region = "us-east-1"
        @Option(help: "Platform the build is for.") var platform = "linux"
        @Option(help: "Signing key id (clients trust keys by id).") var keyId = "assets-1"

        func validate() throws {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else { throw ValidationError("--endpoint must be an http(s):// URL") }
            guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }) else {
                throw ValidationError("--bucket: 3-63 lower-case letters, digits, '-' or '.'")
            }
            guard !platform.isEmpty, platform.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { throw ValidationError("--platform: letters, digits, '-', '_'") }
        }

        func store() throws -> S3Store {
            let env = ProcessInfo.processInfo.environment
            guard let ak = env["KK_S3_ACCESS_KEY"], let sk = env["KK_S3_SECRET_KEY"], !ak.isEmpty, !sk.isEmpty else {
                throw ValidationError("set KK_S3_ACCESS_KEY and KK_S3_SECRET_KEY")
            }
            return S3Store(endpoint: endpoint, bucket: bucket, signer: SigV4(accessKeyId: ak, secretAccessKey: sk, region: region))
        }

        func signingKey() throws -> Curve25519.Signing.PrivateKey { try AssetsCommand.signingKey() }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload the tracks' bundles and the signed manifest, then point 'current' at the build.")
        @OptionGroup var store: Store
        @Option(help: "Build name (letters, digits, '.', '-', '_').") var build: String
        @Option(help: "Directory of .track files.") var tracks = "Config/tracks"

        func validate() throws {
            guard (1...64).contains(build.count), build.allSatisfy({ $0.isLetter || $0.isNumber || ".-_".contains($0) }) else {
                throw ValidationError("--build: 1-64 letters, digits, '.', '-', '_'")
            }
        }

        func run() async throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: tracks).filter { $0.hasSuffix(".track") }.sorted()
            guard !files.isEmpty else { throw ValidationError("no .track files in \(tracks)") }
            let contents = try files.map { name in
                ("track/" + name.dropLast(6), "track", Array(try Data(contentsOf: URL(fileURLWithPath: tracks).appendingPathComponent(name))))
            }
            let s = try store.store()
            try await s.createBucket()
            let done = try await AssetPublisher(store: s).publish(contents, build: build, platform: store.platform, keyId: store.keyId,
                                                                 key: try store.signingKey())
            print("kk-assets: build \(build) for \(store.platform): \(done.uploaded) bundles uploaded, \(done.alreadyStored) already stored; "
                  + "manifest \(done.manifestKey); current -> \(build)")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point 'current' at a build published before.")
        @OptionGroup var store: Store
        @Option(help: "The build to point at.") var build: String

        func run() async throws {
            try await AssetPublisher(store: try store.store()).rollback(platform: store.platform, to: build)
            print("kk-assets: current -> \(build) for \(store.platform)")
        }
    }

    struct Current: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the current build's manifest (its signature checked).")
        @OptionGroup var store: Store

        func run() async throws {
            let key = try store.signingKey()
            guard let (p, m) = try await AssetPublisher(store: try store.store()).current(platform: store.platform,
                                                                                          trusted: [store.keyId: key.publicKey]) else {
                print("kk-assets: nothing published for \(store.platform)")
                return
            }
            print("kk-assets: current \(p.build) (\(p.manifest)), \(m.bundles.count) bundles:")
            for b in m.bundles { print("  \(b.id) \(b.sha256) \(b.size) bytes") }
        }
    }

    struct PublicKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "public-key", abstract: "Print the signing key's public half (hex) for clients to trust.")
        func run() throws {
            print(SigV4.hex(try AssetsCommand.signingKey().publicKey.rawRepresentation))
        }
    }
}
