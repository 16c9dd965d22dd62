import Foundation
import KKRedis

/// The lobby instances' shared bus: one Redis pub/sub channel (`<prefix>lobby:bus`) every
/// instance publishes to and subscribes to, so a change made on any instance reaches the
/// sockets on all of them. One line per message, the kind first:
/// - `P <account,account,...> <json>`: a lobby message for those players' sockets;
/// - `X <account> <connection id>`: the account connected again; other sockets of it close;
/// - `R <relay id or *> <json>`: a control command for one relay's control socket (or all).
/// Pub/sub is at-most-once: an instance that is not subscribed at the moment misses the
/// message; a client that reconnects gets the room's state again (the state is in Redis, never
/// only on the bus).
public struct LobbyBus: Sendable {
    public let redis: RedisCommandBridge
    public let channel: String

    public init(redis: RedisCommandBridge, prefix: String) {
        self.redis = redis
        channel = prefix + "lobby:bus"
    }

    public enum Line: Equatable, Sendable {
        case players([Int64], String)
        case replaced(account: Int64, keep: String)
        case relay(target: String, String)
    }

    public static func encode(_ line: Line) -> String {
        switch line {
        case .players(let to, let json): "P " + to.map(String.init).joined(separator: ",") + " " + json
        case .replaced(let a, let keep): "X \(a) \(keep)"
        case .relay(let target, let json): "R \(target) \(json)"
        }
    }

    /// Parses one bus line; nil when it is not one (counted and dropped by the consumer).
    public static func decode(_ bytes: [UInt8]) -> Line? {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "P":
            let to = parts[1].split(separator: ",").compactMap { Int64($0) }
            guard !to.isEmpty else { return nil }
            return .players(to, String(parts[2]))
        case "X":
            guard let a = Int64(parts[1]) else { return nil }
            return .replaced(account: a, keep: String(parts[2]))
        case "R":
            guard !parts[1].isEmpty else { return nil }
            return .relay(target: String(parts[1]), String(parts[2]))
        default:
            return nil
        }
    }

    /// Publishes one line; false when Redis refused or is unreachable.
    @discardableResult
    public func publish(_ line: Line) async -> Bool {
        let r = await redis.command(["PUBLISH", .string(channel), .string(Self.encode(line))])
        if case .failed = r { return false }
        return true
    }

    /// Sends a lobby message to players (every instance delivers to the sockets it holds).
    @discardableResult
    public func send(_ message: LobbyWireText, to accounts: [Int64]) async -> Bool {
        guard !accounts.isEmpty else { return true }
        return await publish(.players(accounts, message.text))
    }
}

/// A lobby message already encoded as its JSON text.
public struct LobbyWireText: Sendable {
    public let text: String
    public init(text: String) { self.text = text }
}
