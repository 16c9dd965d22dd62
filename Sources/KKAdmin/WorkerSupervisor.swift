import Foundation
import Glibc

/// Runs N worker processes of this executable that share a port with SO_REUSEPORT (the relay's
/// `--workers`): each is started with the same arguments plus `--worker-index i`, SIGTERM and
/// SIGINT are forwarded to each by pid, and the call returns when all have exited.
public enum WorkerSupervisor {
    /// Why the workers could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `count` workers as `<this executable> <subcommand> <arguments...> --worker-index i`
    /// and waits for them.
    public static func run(count: Int, subcommand: String) throws(StartError) {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var pids: [pid_t] = []
        for i in 0..<count {
            let args = CommandLine.arguments.dropFirst().filter { $0 != subcommand } + ["--worker-index", "\(i)"]
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = ([exe, subcommand] + args).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            guard posix_spawn(&pid, exe, nil, nil, argv, environ) == 0 else {
                for p in pids { kill(p, SIGTERM) }
                throw StartError(description: "cannot start worker \(i)")
            }
            pids.append(pid)
        }
        Forwarding.set(pids)
        let forward: @convention(c) (Int32) -> Void = { sig in Forwarding.signal(sig) }
        signal(SIGTERM, forward)
        signal(SIGINT, forward)
        var children = pids
        var status: Int32 = 0
        while !children.isEmpty {
            let p = waitpid(-1, &status, 0)
            if p > 0 { children.removeAll { $0 == p } } else if errno != EINTR { break }
        }
    }

    /// The worker pids a signal handler forwards to: written once before the handlers are
    /// installed, then only read (a C signal handler cannot capture state).
    private enum Forwarding {
        nonisolated(unsafe) private static var pids: [pid_t] = []
        static func set(_ p: [pid_t]) { pids = p }
        static func signal(_ sig: Int32) { for p in pids { kill(p, sig) } }
    }
}
