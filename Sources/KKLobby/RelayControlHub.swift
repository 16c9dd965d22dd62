import Foundation
import NIOConcurrencyHelpers

/// The relays' control sockets this instance holds, by relay id (a relay that registers again
/// replaces its older socket), with the last load each reported.
public final class RelayControlHub: Sendable {
    public struct Relay: Sendable, Codable, Equatable {
        public var relayId: String
        public var address: String
        public var region: String
        public var pid: Int
        public var sessions = 0
        public var playing = 0
        public var packetsPerSecond = 0.0
        public var draining = false
        public var updatedAtMillis: Int64 = 0
    }

    private let state = NIOLockedValueBox<[String: (LobbyHub.Connection, Relay)]>([:])

    public init() {}

    public var count: Int { state.withLockedValue { $0.count } }
    public var relays: [Relay] { state.withLockedValue { $0.values.map(\.1) }.sorted { $0.relayId < $1.relayId } }

    func add(_ conn: LobbyHub.Connection, _ relay: Relay) {
        let old = state.withLockedValue { d -> LobbyHub.Connection? in
            let o = d[relay.relayId]?.0
            d[relay.relayId] = (conn, relay)
            return o
        }
        if let old, old !== conn { old.close(code: LobbyCloseCode.replaced, reason: "the relay registered again") }
    }

    func update(_ relayId: String, _ change: (inout Relay) -> Void) -> Relay? {
        state.withLockedValue { d in
            guard var e = d[relayId] else { return nil }
            change(&e.1)
            d[relayId] = e
            return e.1
        }
    }

    func remove(_ relayId: String, _ conn: LobbyHub.Connection) {
        state.withLockedValue { d in if d[relayId]?.0 === conn { d[relayId] = nil } }
    }

    /// Sends a command to one relay here (`target` its id) or to all (`*`); how many got it.
    @discardableResult
    public func deliver(target: String, text: String) -> Int {
        let conns = state.withLockedValue { d in target == "*" ? d.values.map(\.0) : (d[target].map { [$0.0] } ?? []) }
        for c in conns { c.send(.text(text)) }
        return conns.count
    }
}
