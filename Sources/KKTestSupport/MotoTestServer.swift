import Foundation
import KKLocalStack

/// A real S3 API on loopback for the asset tests: `moto_server` from the test venv
/// (`Ops/scripts/install-deps.sh` installs `moto[server]` into `$KK_PYENV`, default
/// /var/tmp/kk-pyenv), started on a free port and stopped by pid with the returned process.
/// moto does not check presigned URLs' expiry, nor (by default) signatures.
public enum MotoTestServer {
    public struct Running {
        public let port: Int
        public let process: ChildProcess
        public var endpoint: String { "http://127.0.0.1:\(port)" }
    }

    public static func start() throws -> Running {
        let env = ProcessInfo.processInfo.environment
        let pyenv = env["KK_PYENV"] ?? "/var/tmp/kk-pyenv"
        let exe = pyenv + "/bin/moto_server"
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw NSError(domain: "MotoTestServer", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "\(exe) missing: run Ops/scripts/install-deps.sh (it installs moto[server])"])
        }
        let port = Int(LocalProbe.freePort())
        let p = try ChildProcess(path: exe, arguments: ["-H", "127.0.0.1", "-p", "\(port)"], logPath: NSTemporaryDirectory() + "kk-moto-\(port).log")
        guard LocalProbe.eventually(seconds: 30, { LocalProbe.http(port: port, path: "/moto-api/")?.status == 200 }) else {
            p.stop()
            throw NSError(domain: "MotoTestServer", code: 2, userInfo: [NSLocalizedDescriptionKey: "moto_server did not answer on \(port)"])
        }
        return Running(port: port, process: p)
    }
}
