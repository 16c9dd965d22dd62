/// Why the voice service refused a message or a configuration: one stable short code each (the
/// `code` of the signalling socket's `error` message).
public enum VoiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not JSON, or a field missing or out of range (which one, in the text).
    case badMessage(String)
    /// A `type` the client may not send.
    case unknownType(String)
    /// A field or frame over its limit (which one).
    case tooLarge(String)
    /// Signalling to a player who is not linked with the sender (out of voice range).
    case notInRange(Int64)
    /// The sender (or the addressee) is not in a match with voice.
    case notInMatch
    /// Too many messages.
    case rateLimited
    /// Invalid proximity parameters (which one, in the text).
    case badConfig(String)

    public var code: String {
        switch self {
        case .badMessage: "bad_message"
        case .unknownType: "unknown_type"
        case .tooLarge: "too_large"
        case .notInRange: "not_in_range"
        case .notInMatch: "not_in_match"
        case .rateLimited: "rate_limited"
        case .badConfig: "bad_config"
        }
    }

    public var description: String {
        switch self {
        case .badMessage(let why): "bad message: \(why)"
        case .unknownType(let t): "unknown message type \(t)"
        case .tooLarge(let what): "\(what) too large"
        case .notInRange(let p): "player \(p) is not in voice range"
        case .notInMatch: "not in a match with voice"
        case .rateLimited: "slow down"
        case .badConfig(let why): "bad proximity parameters: \(why)"
        }
    }
}
