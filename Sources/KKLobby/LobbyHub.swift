import Foundation
import NIOConcurrencyHelpers

/// The lobby sockets this instance holds, by account (one live socket per account: a new one
/// replaces the old, here or, through the bus, on another instance). Thread-safe; each socket's
/// writer task drains its connection's outbound stream, so messages to one socket keep their
/// order. A socket that does not read its messages fast enough (``Connection/queueLimit``
/// waiting) is closed rather than allowed to grow without bound: its client reconnects and gets
/// the state again.
public final class LobbyHub: Sendable {
    public enum Outbound: Sendable, Equatable {
        case text(String)
        /// Close with a WebSocket close code and a reason the client shows.
        case close(code: UInt16, reason: String)
    }

    /// One socket.
    public final class Connection: Sendable {
        public static let queueLimit = 512
        public let id: String
        public let account: Int64
        public let outbound: AsyncStream<Outbound>
        let continuation: AsyncStream<Outbound>.Continuation
        private let overflowed = NIOLockedValueBox(false)

        init(account: Int64) {
            id = UUID().uuidString.lowercased()
            self.account = account
            (outbound, continuation) = AsyncStream.makeStream(of: Outbound.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
        }

        /// Queues a message; false when the socket is too slow (it is then closed).
        @discardableResult
        public func send(_ o: Outbound) -> Bool {
            if case .dropped = continuation.yield(o) {
                overflowed.withLockedValue { $0 = true }
                continuation.finish()
                return false
            }
            return true
        }

        /// True once a message was dropped: the writer closes the socket (1008, too slow).
        public var isOverflowed: Bool { overflowed.withLockedValue { $0 } }

        /// Ends the outbound stream (the socket's reader is done): the writer sends what is queued.
        public func finish() { continuation.finish() }

        public func close(code: UInt16, reason: String) {
            continuation.yield(.close(code: code, reason: reason))
            continuation.finish()
        }
    }

    private let connections = NIOLockedValueBox<[Int64: Connection]>([:])

    public init() {}

    public var count: Int { connections.withLockedValue { $0.count } }

    /// The accounts with a socket here now.
    public var accounts: [Int64] { connections.withLockedValue { Array($0.keys) } }

    /// A new socket for `account`; an older one here is closed (4001, replaced).
    public func add(account: Int64) -> Connection {
        let c = Connection(account: account)
        let old = connections.withLockedValue { d -> Connection? in
            let o = d[account]
            d[account] = c
            return o
        }
        old?.close(code: LobbyCloseCode.replaced, reason: "connected again from elsewhere")
        return c
    }

    /// Forgets the socket (when it is still the account's current one); true when it was.
    @discardableResult
    public func remove(_ c: Connection) -> Bool {
        connections.withLockedValue { d in
            guard d[c.account] === c else { return false }
            d[c.account] = nil
            return true
        }
    }

    /// The account's socket here, if any.
    public func connection(_ account: Int64) -> Connection? { connections.withLockedValue { $0[account] } }

    /// Sends `text` to every listed account that has a socket here; how many got it.
    @discardableResult
    public func deliver(to accounts: [Int64], text: String) -> Int {
        let targets = connections.withLockedValue { d in accounts.compactMap { d[$0] } }
        for c in targets { c.send(.text(text)) }
        return targets.count
    }

    /// Closes the account's socket here unless it is `keep` (another instance took the account).
    public func replace(account: Int64, keep: String) {
        let c = connections.withLockedValue { d -> Connection? in
            guard let c = d[account], c.id != keep else { return nil }
            d[account] = nil
            return c
        }
        c?.close(code: LobbyCloseCode.replaced, reason: "connected again from elsewhere")
    }

    /// Closes every socket (shutdown: 1001, going away).
    public func closeAll(reason: String) {
        let all = connections.withLockedValue { d -> [Connection] in
            let a = Array(d.values)
            d.removeAll()
            return a
        }
        for c in all { c.close(code: 1001, reason: reason) }
    }
}

/// The lobby's own WebSocket close codes (4000-4999 are the application's).
public enum LobbyCloseCode {
    /// The account connected again (this instance or another): the old socket closes.
    public static let replaced: UInt16 = 4001
    /// Too many commands, or too many refused ones.
    public static let flood: UInt16 = 4008
    /// A relay's control socket presented a wrong credential or a bad registration.
    public static let badCredential: UInt16 = 4003
    /// The socket did not read its messages fast enough.
    public static let tooSlow: UInt16 = 4009
}
