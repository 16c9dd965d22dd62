import Foundation
import HummingbirdWSClient
import KKLobbyCore
import KKLoop
import Logging
import NIOConcurrencyHelpers

/// The relay's end of the lobby's control plane: one WebSocket to the lobby service
/// (`/v1/lobby/relay-control`, the service credential as its bearer), reconnected with backoff
/// (0.5 s doubling to 5 s) whenever it drops. It registers, reports the load the loop last
/// published once a second, and hands every command to the loop thread (a uv_async wake; the
/// loop is the only thread that touches the relay's state) and sends the loop's acks back. The
/// socket runs on NIO's threads and a Swift task, never on the loop; the data path never waits
/// for it: with the control plane down the relay serves on and says so on /readyz and /status.
public final class RelayControlClient: Sendable {
    public struct Options: Sendable {
        public var url: String
        public var secret: String
        public var relayId: String
        /// The relay's public UDP address ("host:port").
        public var address: String
        public var region: String

        public init(url: String, secret: String, relayId: String, address: String, region: String = "local") {
            self.url = url; self.secret = secret; self.relayId = relayId; self.address = address; self.region = region
        }
    }

    public let options: Options
    private let inbox = NIOLockedValueBox<[RelayControlMessage]>([])
    private let acks = NIOLockedValueBox<[RelayControlMessage]>([])
    private let load = NIOLockedValueBox(RelayControlMessage.load(sessions: 0, playing: 0, packetsPerSecond: 0, draining: false))
    private let connectedBox = NIOLockedValueBox(false)
    private let lastErrorBox = NIOLockedValueBox("")
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let wake: LoopAsync
    /// Commands received; connections made (counters for the relay's metrics).
    private let countsBox = NIOLockedValueBox((commands: 0, connects: 0))

    /// `onCommands` runs on the loop thread with the commands received since the last wake.
    public init(options: Options, loop: EventLoop, onCommands: @escaping ([RelayControlMessage]) -> Void) throws(IOError) {
        self.options = options
        let inbox = inbox
        wake = try LoopAsync(loop: loop) {
            let batch = inbox.withLockedValue { b -> [RelayControlMessage] in let out = b; b.removeAll(); return out }
            if !batch.isEmpty { onCommands(batch) }
        }
    }

    public var isConnected: Bool { connectedBox.withLockedValue { $0 } }
    /// Why the last connection attempt failed or ended ("" while connected or before any).
    public var lastError: String { lastErrorBox.withLockedValue { $0 } }
    public var counts: (commands: Int, connects: Int) { countsBox.withLockedValue { $0 } }

    /// The load to report next (loop thread, once a second).
    public func report(sessions: Int, playing: Int, packetsPerSecond: Double, draining: Bool) {
        load.withLockedValue { $0 = .load(sessions: sessions, playing: playing, packetsPerSecond: packetsPerSecond, draining: draining) }
    }

    /// An ack for a command (loop thread); sent within 0.2 s.
    public func ack(_ m: RelayControlMessage) {
        acks.withLockedValue { a in if a.count < 1024 { a.append(m) } }
    }

    public func start() {
        let t = Task { [self] in await runLoop() }
        task.withLockedValue { $0 = t }
    }

    /// Stops the socket (loop thread, at shutdown) and closes the wake handle.
    public func stop() {
        task.withLockedValue { $0?.cancel(); $0 = nil }
        wake.close()
    }

    static func encode(_ m: RelayControlMessage) -> String {
        (try? JSONEncoder().encode(m)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func runLoop() async {
        var logger = Logger(label: "kk-relay.control")
        logger.logLevel = .critical
        var config = WebSocketClientConfiguration(maxFrameSize: 1 << 16, additionalHeaders: [.authorization: "Bearer \(options.secret)"])
        config.autoPing = .enabled(timePeriod: .seconds(10))
        var backoff = 500
        let register = Self.encode(.register(relayId: options.relayId, address: options.address, region: options.region,
                                             pid: Int(getpid())))
        while !Task.isCancelled {
            do {
                let frame = try await WebSocketClient.connect(url: options.url, configuration: config, logger: logger) { [self] inbound, outbound, _ in
                connectedBox.withLockedValue { $0 = true }
                lastErrorBox.withLockedValue { $0 = "" }
                countsBox.withLockedValue { $0.connects += 1 }
                try await outbound.writeTextMessage(register)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { [self] in
                        var tick = 0
                        while !Task.isCancelled {
                            for a in acks.withLockedValue({ a -> [RelayControlMessage] in let out = a; a.removeAll(); return out }) {
                                try await outbound.writeTextMessage(Self.encode(a))
                            }
                            if tick % 5 == 0 { try await outbound.writeTextMessage(Self.encode(load.withLockedValue { $0 })) }
                            tick += 1
                            try await Task.sleep(for: .milliseconds(200))
                        }
                    }
                    for try await message in inbound.messages(maxSize: 1 << 14) {
                        guard case .text(let text) = message,
                              let m = try? JSONDecoder().decode(RelayControlMessage.self, from: Data(text.utf8)), m.type == "command" else { continue }
                        countsBox.withLockedValue { $0.commands += 1 }
                        let queued = inbox.withLockedValue { b -> Bool in
                            guard b.count < 4096 else { return false }
                            b.append(m)
                            return true
                        }
                        if queued { wake.send() }
                    }
                    group.cancelAll()
                }
                }
                let why = frame.map { "closed by the lobby (\($0.closeCode)): \($0.reason ?? "")" } ?? "connection closed"
                lastErrorBox.withLockedValue { $0 = why }
            } catch {
                // A refused upgrade (a wrong credential is a 401) or an unreachable lobby.
                lastErrorBox.withLockedValue { $0 = "\(error)" }
            }
            let wasUp = connectedBox.withLockedValue { c -> Bool in let w = c; c = false; return w }
            if wasUp { backoff = 500 }
            try? await Task.sleep(for: .milliseconds(backoff))
            backoff = min(5_000, backoff * 2)
        }
    }
}
