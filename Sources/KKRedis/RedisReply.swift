/// A reply from Redis, copied out of hiredis' `redisReply` inside the reply callback (nothing
/// here points into hiredis memory).
public enum RedisReply: Equatable, Sendable {
    /// Bulk string; binary-safe.
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    /// Nil bulk string / nil array (e.g. GET of a missing key).
    case `nil`
    /// Simple status such as `OK` or `PONG`.
    case status(String)
    /// An error reply sent by the server (`ERR ...`, `NOSCRIPT ...`).
    case error(String)
    /// No reply from the server: the client could not issue the command or its connection was
    /// lost before the reply came (produced locally, typed).
    case failed(RedisError)

    /// The bulk string as UTF-8 text (lossy), or the status text.
    public var text: String? {
        switch self {
        case .string(let b): return String(decoding: b, as: UTF8.self)
        case .status(let s): return s
        default: return nil
        }
    }

    /// True for `.error` and `.failed`.
    public var isError: Bool {
        switch self {
        case .error, .failed: return true
        default: return false
        }
    }
}

/// One argument of a command. Every form is sent as a binary-safe bulk string.
public enum RedisArg: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case bytes([UInt8])
    case string(String)
    case int(Int64)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }

    /// The bytes sent on the wire.
    public var bytes: [UInt8] {
        switch self {
        case .bytes(let b): return b
        case .string(let s): return Array(s.utf8)
        case .int(let i): return Array(String(i).utf8)
        }
    }
}

/// Why the client refused or lost a command, or could not connect; carried by
/// ``RedisReply/failed(_:)``.
public enum RedisError: Error, Equatable, Sendable {
    /// The connection is down (or still connecting); the command was not sent.
    case disconnected
    /// ``RedisClient/Options/maxInFlight`` commands were already awaiting replies.
    case tooManyInFlight
    /// ``RedisClient/close()`` was called.
    case closed
    /// The command was sent but the connection dropped (or was closed) before its reply.
    case connectionLost
    /// The command may not go through ``RedisClient/command(_:reply:)`` (pub/sub, MONITOR).
    case unsupportedCommand(String)
    /// hiredis refused to format or queue the command.
    case rejected
    /// A reply had an unexpected shape (used by helpers such as ``RedisScript``).
    case unexpectedReply(String)

    /// The text put in a locally produced ``RedisReply/error(_:)``.
    public var message: String {
        switch self {
        case .disconnected: return "disconnected"
        case .tooManyInFlight: return "too many commands in flight"
        case .closed: return "closed"
        case .connectionLost: return "connection lost"
        case .unsupportedCommand(let c): return "unsupported command \(c)"
        case .rejected: return "rejected by hiredis"
        case .unexpectedReply(let s): return "unexpected reply: \(s)"
        }
    }
}
