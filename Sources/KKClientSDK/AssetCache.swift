import Crypto
import Foundation
import Glibc
import KKAssetsCore
import Synchronization

/// Why the asset cache could not hand out a bundle or a manifest. Whatever the error, nothing
/// unverified is ever used and bundles already cached stay.
public enum AssetCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No manifest: the service cannot be reached and none was stored before.
    case offline(String)
    /// The current manifest has no bundle with this id.
    case unknownBundle(String)
    /// Refused content: a bad signature, an untrusted key, a hash or size mismatch.
    case refused(AssetError)
    /// The service or the CDN said no: 401, 403 (forged or bad link), 410 (expired), 404...
    case http(status: Int, String)
    /// The download ended early; the part kept resumes next time.
    case truncated(got: Int, expected: Int)
    /// The disk is full (or the file size limit is hit): the old bundles are kept.
    case diskFull(String)
    /// The bundle alone is larger than the cache's bound.
    case tooLarge(Int)
    case unreachable(String)
    case io(String)

    /// A stable short code: `offline`, `unknown_bundle`, `refused`, `http_<status>`, `truncated`,
    /// `disk_full`, `too_large`, `unreachable`, `io`.
    public var code: String {
        switch self {
        case .offline: "offline"
        case .unknownBundle: "unknown_bundle"
        case .refused: "refused"
        case .http(let s, _): "http_\(s)"
        case .truncated: "truncated"
        case .diskFull: "disk_full"
        case .tooLarge: "too_large"
        case .unreachable: "unreachable"
        case .io: "io"
        }
    }

    public var description: String {
        switch self {
        case .offline(let why): "offline and no stored manifest (\(why))"
        case .unknownBundle(let id): "no bundle '\(id)' in the current manifest"
        case .refused(let e): "refused: \(e)"
        case .http(let s, let why): "HTTP \(s): \(why)"
        case .truncated(let g, let e): "download ended at \(g) of \(e) bytes (resumes next time)"
        case .diskFull(let why): "disk full: \(why)"
        case .tooLarge(let n): "bundle of \(n) bytes does not fit the cache"
        case .unreachable(let why): "unreachable: \(why)"
        case .io(let why): "I/O: \(why)"
        }
    }
}

/// The client's asset cache: the current build's manifest (signature verified with the keys
/// the game ships with) and its bundles on disk, content-addressed.
///
/// - Downloads resume: a partial file continues with a Range request; a 200 restarts it.
/// - Every bundle is checked by size and SHA-256 before it is moved into place; a mismatch
///   deletes the partial file and keeps whatever was there before.
/// - Bounded: after each download the least recently used bundles go until the total fits
///   ``Options/capacityBytes`` (use = a read through ``bundle(id:)``, kept as the file's time).
/// - Offline: without the service, the stored manifest (verified again) and cached bundles work.
/// - Expired links (410) are renewed once through the service.
///
/// Layout: `<dir>/manifest.json` (the ``SignedManifest`` as received), `<dir>/bundles/<sha256>`,
/// `<dir>/partial/<sha256>`. One process per directory. Thread-safe; downloads run one at a time.
public final class AssetCache: Sendable {
    public struct Options: Sendable {
        public var directory: String
        public var platform = "linux"
        public var capacityBytes = 256 << 20
        /// Key id -> Ed25519 public key of the manifest signers this client trusts.
        public var trusted: [String: Curve25519.Signing.PublicKey]
        public var timeoutMillis = 10_000

        public init(directory: String, trusted: [String: Curve25519.Signing.PublicKey]) { self.directory = directory; self.trusted = trusted }
    }

    /// What the cache did (for the caller's UI and the tests).
    public struct Stats: Sendable, Equatable {
        public var hits = 0
        public var downloads = 0
        /// Downloads that continued a partial file.
        public var resumed = 0
        public var bytesDownloaded = 0
        public var evicted = 0
        public var refused = 0
        public var linksRenewed = 0
    }

    struct State {
        var manifest: AssetManifest?
        var urls: [String: String] = [:]
        var service: (url: String, token: String)?
        var online = false
        var stats = Stats()
        var verified: Set<String> = []
        var prefetches: [String: Result<String, AssetCacheError>] = [:]
        var prefetching: Set<String> = []
        /// When the current links stop working (seconds since 1970).
        var linksExpire: Int64 = 0
        /// The bundles handed out last (the track being raced): eviction keeps them.
        var recent: [String] = []
    }

    public let options: Options
    private let state: Mutex<State>
    /// Held for a whole download (one at a time: a prefetch and a use of the same bundle never
    /// write one partial file twice).
    private let downloading = Mutex<Void>(())
    private var bundlesDir: String { options.directory + "/bundles" }
    private var partialDir: String { options.directory + "/partial" }
    private var manifestPath: String { options.directory + "/manifest.json" }

    public init(options: Options) throws(AssetCacheError) {
        self.options = options
        state = Mutex(State())
        for d in [options.directory, options.directory + "/bundles", options.directory + "/partial"] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch { throw .io("\(d): \(error.localizedDescription)") }
        }
    }

    public var stats: Stats { state.withLock { $0.stats } }
    /// The manifest in use (nil before ``refresh(servicesURL:accessToken:)``).
    public var manifest: AssetManifest? { state.withLock { $0.manifest } }
    /// Whether the last refresh reached the service.
    public var isOnline: Bool { state.withLock { $0.online } }

    /// Asks the assets service for the current build (manifest + signed CDN links), verifies the
    /// manifest and stores it. Unreachable service: the stored manifest, verified again
    /// (``isOnline`` false). A manifest that fails verification is refused and the stored one kept.
    @discardableResult
    public func refresh(servicesURL: String, accessToken: String) throws(AssetCacheError) -> AssetManifest {
        let url = BlockingHTTP.join(servicesURL, "/v1/assets/\(options.platform)/current")
        let status: Int, body: [UInt8]
        do throws(MatchServiceError) {
            (status, body) = try BlockingHTTP.request("GET", url: url, headers: [("Authorization", "Bearer \(accessToken)")],
                                                      timeoutMillis: options.timeoutMillis)
        } catch {
            state.withLock { $0.service = (servicesURL, accessToken); $0.online = false }
            return try loadStored(reason: "\(error)")
        }
        guard status == 200 else {
            if status >= 500 {
                state.withLock { $0.service = (servicesURL, accessToken); $0.online = false }
                return try loadStored(reason: "assets service HTTP \(status)")
            }
            throw .http(status: status, String(decoding: body.prefix(300), as: UTF8.self))
        }
        guard let offer = try? JSONDecoder().decode(AssetOffer.self, from: Data(body)) else { throw .io("the assets service's answer is not an offer") }
        let manifest: AssetManifest
        do throws(AssetError) { manifest = try offer.manifest.verified(trusted: options.trusted) } catch {
            state.withLock { $0.stats.refused += 1 }
            throw .refused(error)
        }
        guard manifest.platform == options.platform else { throw .refused(.malformed("manifest is for \(manifest.platform)")) }
        try writeAtomically(manifestPath, Array((try? JSONEncoder().encode(offer.manifest)) ?? Data()))
        state.withLock {
            $0.manifest = manifest; $0.urls = offer.urls; $0.service = (servicesURL, accessToken); $0.online = true
            $0.linksExpire = offer.expires
        }
        return manifest
    }

    /// The stored manifest, verified again (offline start).
    @discardableResult
    public func loadStored(reason: String = "not refreshed") throws(AssetCacheError) -> AssetManifest {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { throw .offline(reason) }
        guard let signed = try? JSONDecoder().decode(SignedManifest.self, from: data) else { throw .refused(.malformed("stored manifest unreadable")) }
        let manifest: AssetManifest
        do throws(AssetError) { manifest = try signed.verified(trusted: options.trusted) } catch { throw .refused(error) }
        state.withLock { s in if s.manifest == nil || !s.online { s.manifest = manifest } }
        return manifest
    }

    /// The path of bundle `id` of the current manifest, verified, downloading it if needed.
    public func bundle(id: String) throws(AssetCacheError) -> String {
        guard let m = state.withLock({ $0.manifest }) else { throw .offline("no manifest: refresh first") }
        guard let b = m.bundle(id) else { throw .unknownBundle(id) }
        return try fetch(b)
    }

    /// The path of the bundle named `sha256` in the current manifest (a race pinned to an exact
    /// track version), verified, downloading it if needed.
    public func bundle(sha256: String) throws(AssetCacheError) -> String {
        guard let m = state.withLock({ $0.manifest }) else { throw .offline("no manifest: refresh first") }
        guard let b = m.bundles.first(where: { $0.sha256 == sha256 }) else { throw .unknownBundle(sha256) }
        return try fetch(b)
    }

    /// The bytes of bundle `id` (see ``bundle(id:)``).
    public func bytes(id: String) throws(AssetCacheError) -> [UInt8] {
        let path = try bundle(id: id)
        guard let d = FileManager.default.contents(atPath: path) else { throw .io("\(path) unreadable") }
        return Array(d)
    }

    /// Starts fetching bundle `id` on a background thread (the lobby's countdown: the voted
    /// track is on disk when the race starts). Idempotent: one fetch per bundle at a time, none
    /// once it succeeded; ``prefetched(_:)`` tells the outcome.
    public func prefetch(id: String) {
        let started = state.withLock { s -> Bool in
            if case .success = s.prefetches[id] { return false }
            guard s.prefetching.insert(id).inserted else { return false }
            s.prefetches[id] = nil
            return true
        }
        guard started else { return }
        Thread.detachNewThread { [self] in
            let r: Result<String, AssetCacheError>
            do throws(AssetCacheError) { r = .success(try bundle(id: id)) } catch { r = .failure(error) }
            state.withLock { $0.prefetches[id] = r; $0.prefetching.remove(id) }
        }
    }

    /// The outcome of ``prefetch(id:)`` (nil: never asked, or still running).
    public func prefetched(_ id: String) -> Result<String, AssetCacheError>? { state.withLock { $0.prefetches[id] } }

    /// Whether a prefetch of `id` is running.
    public func isPrefetching(_ id: String) -> Bool { state.withLock { $0.prefetching.contains(id) } }

    /// Whether bundle `sha256` is on disk (not verified here).
    public func has(sha256: String) -> Bool { FileManager.default.fileExists(atPath: bundlesDir + "/" + sha256) }

    // MARK: - fetching

    func fetch(_ b: AssetBundle) throws(AssetCacheError) -> String {
        let path = bundlesDir + "/" + b.sha256
        if FileManager.default.fileExists(atPath: path) {
            if try verifiedOnDisk(b, path: path) {
                touch(path)
                state.withLock { $0.stats.hits += 1; Self.remember(b.sha256, in: &$0) }
                return path
            }
        }
        guard b.size <= options.capacityBytes else { throw .tooLarge(b.size) }
        return try downloading.withLock { _ throws(AssetCacheError) -> String in
            // Another thread may have fetched it meanwhile.
            if FileManager.default.fileExists(atPath: path), try verifiedOnDisk(b, path: path) { touch(path); return path }
            try download(b, to: path, renewOnExpiry: true)
            touch(path)
            let keep = state.withLock { s -> Set<String> in Self.remember(b.sha256, in: &s); return Set(s.recent) }
            evict(keep: keep)
            return path
        }
    }

    /// Keeps the last two bundles handed out safe from eviction (the track being raced while
    /// the next one downloads).
    private static func remember(_ sha: String, in s: inout State) {
        s.recent.removeAll { $0 == sha }
        s.recent.append(sha)
        if s.recent.count > 2 { s.recent.removeFirst(s.recent.count - 2) }
    }

    /// Checks a stored bundle once per process (size and hash); a bad one is deleted.
    private func verifiedOnDisk(_ b: AssetBundle, path: String) throws(AssetCacheError) -> Bool {
        if state.withLock({ $0.verified.contains(b.sha256) }) { return true }
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        do throws(AssetError) { try b.verify(data) } catch {
            unlink(path)
            state.withLock { $0.stats.refused += 1 }
            return false
        }
        state.withLock { _ = $0.verified.insert(b.sha256) }
        return true
    }

    private func download(_ b: AssetBundle, to path: String, renewOnExpiry: Bool) throws(AssetCacheError) {
        guard let url = state.withLock({ $0.urls[b.sha256] }) else {
            throw .offline("bundle \(b.id) is not cached and there is no link for it (refresh online first)")
        }
        let partial = partialDir + "/" + b.sha256
        let fd = open(partial, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw errno == ENOSPC ? .diskFull(partial) : .io("\(partial): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        var offset = Int(st.st_size)
        if offset > b.size { ftruncate(fd, 0); offset = 0 }
        if offset < b.size {
            do throws(HTTPDownload.Failure) {
                do throws(HTTPDownload.Failure) {
                    _ = try HTTPDownload.fetch(url: url, into: fd, offset: offset, total: b.size, timeoutMillis: options.timeoutMillis)
                } catch .rangeNotSatisfiable {
                    ftruncate(fd, 0); offset = 0
                    _ = try HTTPDownload.fetch(url: url, into: fd, offset: 0, total: b.size, timeoutMillis: options.timeoutMillis)
                }
            } catch {
                switch error {
                case .status(410) where renewOnExpiry:
                    try renewLinks()
                    guard state.withLock({ $0.manifest?.bundles.contains(b) == true }) else { throw .unknownBundle(b.id) }
                    return try download(b, to: path, renewOnExpiry: false)
                case .status(let s): throw .http(status: s, s == 410 ? "the link expired" : s == 403 ? "the link is forged or bad" : "CDN refused")
                case .truncated(let got, let expected):
                    state.withLock { $0.stats.bytesDownloaded += max(0, got - offset) }
                    throw .truncated(got: got, expected: expected)
                case .write(let e) where e == ENOSPC || e == EDQUOT || e == EFBIG:
                    throw .diskFull("\(partial): \(String(cString: strerror(e)))")
                case .write(let e): throw .io("\(partial): \(String(cString: strerror(e)))")
                case .tooLarge(let n):
                    ftruncate(fd, 0)
                    state.withLock { $0.stats.refused += 1 }
                    throw .refused(.sizeMismatch(expected: b.size, got: n))
                case .badResponse(let why):
                    ftruncate(fd, 0)
                    throw .io("CDN answer unusable: \(why)")
                case .unreachable(let why): throw .unreachable(why)
                case .rangeNotSatisfiable: throw .io("range not satisfiable twice")
                }
            }
            state.withLock {
                $0.stats.downloads += 1
                if offset > 0 { $0.stats.resumed += 1 }
                $0.stats.bytesDownloaded += b.size - offset
            }
        }
        guard fsync(fd) == 0 || errno == EINVAL else { throw errno == ENOSPC ? .diskFull(partial) : .io("fsync \(partial): \(String(cString: strerror(errno)))") }
        // Verify the whole file, then move it into place.
        guard let data = FileManager.default.contents(atPath: partial) else { throw .io("\(partial) unreadable") }
        do throws(AssetError) { try b.verify(data) } catch {
            unlink(partial)
            state.withLock { $0.stats.refused += 1 }
            throw .refused(error)
        }
        guard rename(partial, path) == 0 else { throw .io("rename \(partial): \(String(cString: strerror(errno)))") }
        state.withLock { _ = $0.verified.insert(b.sha256) }
    }

    /// New links from the service (after a 410).
    private func renewLinks() throws(AssetCacheError) {
        guard let svc = state.withLock({ $0.service }) else { throw .http(status: 410, "the link expired and no service to renew it") }
        let before = state.withLock { $0.linksExpire }
        try refresh(servicesURL: svc.url, accessToken: svc.token)
        guard state.withLock({ $0.online }) else { throw .http(status: 410, "the link expired and the service is unreachable") }
        state.withLock { $0.stats.linksRenewed += 1 }
        guard state.withLock({ $0.linksExpire }) > before else { throw .http(status: 410, "the service handed out links that are no newer") }
    }

    /// Deletes least recently used bundles until the cache fits its bound.
    private func evict(keep: Set<String>) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: bundlesDir) else { return }
        var entries: [CacheEviction.Entry] = []
        for n in names {
            var st = stat()
            guard stat(bundlesDir + "/" + n, &st) == 0 else { continue }
            entries.append(.init(sha256: n, size: Int(st.st_size), lastUsed: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)))
        }
        let victims = CacheEviction.victims(entries, capacityBytes: options.capacityBytes, keep: keep)
        for v in victims { unlink(bundlesDir + "/" + v.sha256) }
        state.withLock { s in
            s.stats.evicted += victims.count
            for v in victims { s.verified.remove(v.sha256) }
        }
    }

    /// Marks a bundle used now (its file time is the LRU clock).
    private func touch(_ path: String) { utimensat(AT_FDCWD, path, nil, 0) }

    private func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(AssetCacheError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("\(tmp): \(String(cString: strerror(errno)))") }
        var done = 0
        while done < bytes.count {
            let w = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if w < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd); unlink(tmp)
                throw e == ENOSPC ? .diskFull(tmp) : .io("\(tmp): \(String(cString: strerror(e)))")
            }
            done += w
        }
        fsync(fd)
        close(fd)
        guard rename(tmp, path) == 0 else { throw .io("rename \(tmp): \(String(cString: strerror(errno)))") }
    }
}
