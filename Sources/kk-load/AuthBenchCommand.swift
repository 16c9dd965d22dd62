import ArgumentParser
import Crypto
import Dispatch
import Foundation
import KKAccessToken
import KKAuth
import KKClientSDK

/// `kk-load authbench`: what logging in costs, against baselines measured in the same run.
/// In process (one thread): Ed25519 signature checks (swift-crypto, the baseline) next to access
/// token verification and signing (jwt-kit), and the scrypt password check (N=2^15, r=8, p=1,
/// 32 MiB: `PasswordHasher`). Over HTTP against a running kk-services (`--auth-url`, loopback
/// only), with `--concurrency` client threads: GET /healthz (the baseline: same connection
/// setup, no work), device logins and email logins per second. Every loop is bounded by time and
/// count.
struct AuthBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authbench", abstract: "Logins/s and token verifications/s, as ratios to baselines of the same run.")

    @Option(help: "kk-services base URL (http://127.0.0.1:PORT).") var authUrl: String
    @Option(help: "Seconds per measurement.") var seconds: Double = 5
    @Option(help: "Client threads for the HTTP measurements.") var concurrency: Int = 4

    func validate() throws {
        guard authUrl.hasPrefix("http://127.") || authUrl.hasPrefix("http://[::1]") else {
            throw ValidationError("--auth-url must be a loopback http:// URL")
        }
        guard (0.5...60).contains(seconds) else { throw ValidationError("--seconds must be 0.5-60") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1-64") }
    }

    /// Runs `body` until `seconds` pass or `maxOps` ran; operations per second.
    static func rate(seconds: Double, maxOps: Int = 10_000_000, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var n = 0
        var now = start
        while n < maxOps && now < end {
            body()
            n += 1
            if n % 8 == 0 || n < 8 { now = DispatchTime.now().uptimeNanoseconds }
        }
        now = DispatchTime.now().uptimeNanoseconds
        return Double(n) / (Double(now - start) / 1e9)
    }

    /// `threads` threads each running `body(thread)` until time is up; total successes per second
    /// and failures.
    static func parallelRate(threads: Int, seconds: Double, _ body: @escaping @Sendable (Int) -> Bool) -> (Double, Int) {
        let ok = Counter(), failed = Counter()
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var n = 0
            while DispatchTime.now().uptimeNanoseconds < end && n < 1_000_000 {
                if body(t) { ok.add() } else { failed.add() }
                n += 1
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (Double(ok.value) / elapsed, failed.value)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }

    func run() throws {
        // In process.
        let key = Curve25519.Signing.PrivateKey()
        let message = Data(repeating: 7, count: 200)
        let signature = try key.signature(for: message)
        let ed25519 = Self.rate(seconds: seconds) { _ = key.publicKey.isValidSignature(signature, for: message) }
        let (verifyRate, signRate) = try Self.tokenRates(seconds: seconds)
        let stored = PasswordHasher().hash("benchmark password 1")!
        let scrypt = Self.rate(seconds: seconds, maxOps: 1_000) { _ = PasswordHasher.verify("benchmark password 1", against: stored) }

        // Over HTTP.
        let base = authUrl.hasSuffix("/") ? String(authUrl.dropLast()) : authUrl
        let run = UInt32.random(in: 1...UInt32.max)
        let (healthz, healthzFailed) = Self.parallelRate(threads: concurrency, seconds: seconds) { _ in
            (try? BlockingHTTP.request("GET", url: base + "/healthz", timeoutMillis: 5_000).0) == 200
        }
        let auth = AuthClient(baseURL: base)
        let (device, deviceFailed) = Self.parallelRate(threads: concurrency, seconds: seconds) { t in
            (try? auth.loginDevice(deviceId: "authbench-\(run)-\(t)")) != nil
        }
        // One email account per thread (registered once), then logins.
        for t in 0..<concurrency {
            let s = try auth.loginDevice(deviceId: "authbench-\(run)-\(t)")
            try auth.registerEmail(s, email: "authbench-\(run)-\(t)@example.com", password: "authbench secret \(t)")
        }
        let (email, emailFailed) = Self.parallelRate(threads: concurrency, seconds: seconds) { t in
            (try? auth.loginEmail(email: "authbench-\(run)-\(t)@example.com", password: "authbench secret \(t)")) != nil
        }

        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func r(_ v: Double, _ b: Double) -> String { String(format: "%.3f", v / b) }
        print("""
            kk-load authbench: \(seconds) s per figure, \(concurrency) HTTP client threads, \(ProcessInfo.processInfo.activeProcessorCount) cores

            | in process, one thread | per second | ratio to Ed25519 verify |
            |---|---|---|
            | Ed25519 signature verify (swift-crypto, baseline) | \(f(ed25519)) | 1.000 |
            | access token verify (jwt-kit, EdDSA + claims) | \(f(verifyRate)) | \(r(verifyRate, ed25519)) |
            | access token sign | \(f(signRate)) | \(r(signRate, ed25519)) |
            | scrypt password check (N=2^15, r=8, p=1, 32 MiB) | \(f(scrypt)) | \(r(scrypt, ed25519)) |

            | over HTTP, kk-services + PostgreSQL | per second | ratio to /healthz | failed |
            |---|---|---|---|
            | GET /healthz (baseline) | \(f(healthz)) | 1.000 | \(healthzFailed) |
            | device login (account lookup, session insert, token sign) | \(f(device)) | \(r(device, healthz)) | \(deviceFailed) |
            | email login (+ scrypt check, failure counter) | \(f(email)) | \(r(email, healthz)) | \(emailFailed) |
            """)
    }

    /// Verify and sign rates of access tokens (async API, driven from a task; the caller waits).
    static func tokenRates(seconds: Double) throws -> (Double, Double) {
        final class Box: @unchecked Sendable { var result: Result<(Double, Double), Error> = .success((0, 0)) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let signer = try await AccessTokenSigner(seed: (0..<32).map { UInt8($0) })
                let verifier = try await signer.verifier()
                let token = try await signer.sign(AccessClaims(account: 42, session: UUID(), issuedAt: Date(), lifetimeSeconds: 900))
                func rate(_ body: () async throws -> Void) async rethrows -> Double {
                    let start = DispatchTime.now().uptimeNanoseconds, end = start + UInt64(seconds * 1e9)
                    var n = 0
                    while DispatchTime.now().uptimeNanoseconds < end && n < 10_000_000 { try await body(); n += 1 }
                    return Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                let v = await rate { _ = await verifier.verify(token) }
                let s = try await rate {
                    _ = try await signer.sign(AccessClaims(account: 42, session: UUID(), issuedAt: Date(), lifetimeSeconds: 900))
                }
                box.result = .success((v, s))
            } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result.get()
    }
}
