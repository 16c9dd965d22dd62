import ArgumentParser
import Glibc
import KKLoop

/// `kk-udp-passthrough`: the relay's socket path without DTLS or protocol (benchmark only; see
/// LoadTests/bench.sh). Not part of the relay: it exists to measure libuv + recvmmsg/sendmmsg
/// in Swift against udpbench's C relay in the same run.
@main
struct PassthroughCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kk-udp-passthrough",
        abstract: "Plain UDP passthrough (benchmark only): udpfwd -M's shape, 8-byte session header upstream.")

    @Option(help: "Listen address host:port.") var listen: String
    @Option(help: "Upstream (echo backend) host:port.") var upstream: String
    @Option(help: "Datagrams per recvmmsg/sendmmsg.") var batch: Int = 64
    @Option(help: "Stop after this many seconds (0: run until SIGTERM).") var seconds: Int = 0

    func run() throws {
        guard let l = PeerAddress(listen), let u = PeerAddress(upstream) else { throw ValidationError("addresses must be ip:port") }
        let loop = try EventLoop()
        let relay = try PassthroughRelay(loop: loop, listen: l, upstream: u, reusePort: true, batch: batch)
        try relay.start()
        let sig = LoopSignal(loop: loop)
        sig.start(SIGTERM) { loop.stop() }
        let sigint = LoopSignal(loop: loop)
        sigint.start(SIGINT) { loop.stop() }
        let stopTimer = LoopTimer(loop: loop)
        if seconds > 0 { stopTimer.start(afterMillis: UInt64(seconds) * 1000) { loop.stop() } }
        loop.run()
        let c = relay.counters
        print("{\"client_in\":\(c.clientIn),\"upstream_out\":\(c.upstreamOut),\"upstream_in\":\(c.upstreamIn),\"client_out\":\(c.clientOut),\"dropped\":\(c.droppedNoSession + c.droppedStale + c.droppedTooBig + c.droppedSendQueue)}")
    }
}
