import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOWebSocket

/// An authenticated JSON WebSocket to a platform service (the lobby, voice signalling) for a
/// game: text messages sent as they are, what the service says decoded as `Message` and read
/// with ``next(timeoutMillis:)`` (blocking, for a game's frame loop or the C ABI; poll with 0).
/// When the socket drops for another reason than being replaced or refused, the client
/// reconnects by itself (0.25 s, doubling to 4 s; ``Event/reconnecting``); ``close()`` ends it
/// for good.
public final class JSONWebSocketClient<Message: Decodable & Sendable & Equatable>: Sendable {
    public enum Event: Sendable, Equatable {
        /// A message from the service.
        case message(Message)
        /// The socket dropped; the client tries again (`attempt` from 1).
        case reconnecting(attempt: Int, reason: String)
        /// The socket closed for good (refused, replaced by a newer one, or ``close()``): the
        /// code (4001 replaced, 4008 flood, 1008 policy...; 0 when it never opened) and the reason.
        case closed(code: Int, reason: String)
    }

    /// The service's socket addresses; a reconnect tries the next one (instances of one service).
    public let urls: [String]
    public var url: String { urls[0] }
    private let accessToken: String
    /// The trace its socket opens under (`SDKTrace.current` when made): each (re)connect sends a
    /// `traceparent` of it, so the service's spans of this socket join the game's trace.
    private let trace: TraceParent?
    private let state = NIOLockedValueBox(State())
    private let condition = NSCondition()
    private let queued = NIOLockedValueBox<[Event]>([])
    /// Commands not written yet (kept across a reconnect; at most 256).
    private let pending = NIOLockedValueBox<[String]>([])
    public let autoReconnect: Bool
    private let label: String

    struct State {
        var closed = false
        var connected = false
        var task: Task<Void, Never>?
        /// Wakes the current connection's writer (nil while disconnected).
        var wake: AsyncStream<Void>.Continuation?
    }

    /// `urls`: the service instances' sockets, tried in turn; `label`: the logger's.
    public init(urls: [String], accessToken: String, autoReconnect: Bool = true, label: String) {
        precondition(!urls.isEmpty, "at least one URL")
        self.urls = urls
        self.accessToken = accessToken
        self.trace = SDKTrace.current
        self.autoReconnect = autoReconnect
        self.label = label
    }

    deinit { state.withLockedValue { $0.task?.cancel() } }

    /// True while the socket is open.
    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    /// Opens the socket (in the background; `hello` arrives when it is up).
    public func connect() {
        let task = Task { [self] in await runLoop() }
        state.withLockedValue { $0.task = task }
    }

    /// Sends a text message (queued while the socket reconnects; at most 256 waiting).
    public func sendRaw(_ text: String) {
        let queued = pending.withLockedValue { p -> Bool in
            guard p.count < 256 else { return false }
            p.append(text)
            return true
        }
        if queued { _ = state.withLockedValue { $0.wake }?.yield() }
    }

    /// The next event, waiting at most `timeoutMillis` (0: only what is already there).
    public func next(timeoutMillis: Int) -> Event? {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let e = queued.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) { return e }
            if timeoutMillis <= 0 || !condition.wait(until: deadline) { return queued.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() } }
        }
    }

    /// Waits (at most `timeoutMillis`) for a message matching `where`, skipping others; nil on timeout
    /// or when the socket closed for good.
    public func waitFor(timeoutMillis: Int, _ where: (Message) -> Bool) -> Message? {
        let deadline = Date().addingTimeInterval(Double(timeoutMillis) / 1000)
        while true {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            guard left > 0, let e = next(timeoutMillis: left) else { return nil }
            switch e {
            case .message(let m) where `where`(m): return m
            case .closed: return nil
            default: continue
            }
        }
    }

    /// Closes the socket for good.
    public func close() {
        let (task, wake) = state.withLockedValue { s -> (Task<Void, Never>?, AsyncStream<Void>.Continuation?) in
            s.closed = true
            return (s.task, s.wake)
        }
        wake?.yield()  // the writer sends a close frame
        task?.cancel()
    }

    private func push(_ e: Event) {
        condition.lock()
        queued.withLockedValue { q in
            q.append(e)
            if q.count > 4096 { q.removeFirst(q.count - 4096) }
        }
        condition.broadcast()
        condition.unlock()
    }

    private func runLoop() async {
        var attempt = 0
        var next = 0
        var logger = Logger(label: label)
        logger.logLevel = .critical
        var config = WebSocketClientConfiguration(maxFrameSize: 1 << 16, additionalHeaders: [.authorization: "Bearer \(accessToken)"])
        config.autoPing = .enabled(timePeriod: .seconds(15))
        while !Task.isCancelled && !state.withLockedValue({ $0.closed }) {
            if let trace, let name = HTTPField.Name("traceparent") { config.additionalHeaders[name] = trace.header() }
            let opened = NIOLockedValueBox(false)
            var code = 0
            var reason = ""
            let url = urls[next % urls.count]
            do {
                let frame = try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { [self] inbound, outbound, _ in
                    opened.withLockedValue { $0 = true }
                    state.withLockedValue { $0.connected = true }
                    // A wake stream per connection (cancelling its reader ends it); the pending
                    // commands live outside it, so a reconnect sends what was queued meanwhile.
                    let (wake, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                    state.withLockedValue { $0.wake = wakeContinuation }
                    wakeContinuation.yield()
                    defer {
                        state.withLockedValue { $0.wake = nil }
                        wakeContinuation.finish()
                    }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { [self] in
                            for await _ in wake {
                                while let text = pending.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) {
                                    try await outbound.writeTextMessage(text)
                                }
                                if state.withLockedValue({ $0.closed }) {
                                    try await outbound.close(.normalClosure, reason: "client closed")
                                    return
                                }
                            }
                        }
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message,
                                  let m = try? JSONDecoder().decode(Message.self, from: Data(text.utf8)) else { continue }
                            push(.message(m))
                        }
                        group.cancelAll()
                    }
                }
                if let frame { code = Int(UInt16(webSocketErrorCode: frame.closeCode)); reason = frame.reason ?? "" }
            } catch {
                reason = "\(error)"
            }
            state.withLockedValue { $0.connected = false }
            let wasOpen = opened.withLockedValue { $0 }
            if wasOpen { attempt = 0 }
            let final = state.withLockedValue { $0.closed } || !autoReconnect || [4001, 4003, 4008, 1008].contains(code)
                || (!wasOpen && reason.contains("401"))
            if final {
                push(.closed(code: code, reason: reason.isEmpty ? "closed" : reason))
                return
            }
            attempt += 1
            next += 1
            push(.reconnecting(attempt: attempt, reason: reason.isEmpty ? "connection closed (\(code))" : reason))
            let delay = min(4_000, 250 << min(attempt - 1, 4))
            try? await Task.sleep(for: .milliseconds(delay))
        }
        push(.closed(code: 1000, reason: "closed"))
    }
}
