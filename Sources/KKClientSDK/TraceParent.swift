import KKWire
import Foundation

/// W3C trace context for the SDK's service calls: inside ``SDKTrace/$current``'s `withValue`,
/// every HTTP request the SDK makes (login, match, results...) carries a `traceparent` header of
/// that trace with a fresh span id, so the services' spans of one player action (log in, ask for
/// a match, get allocated) join one trace when the services export traces.
public struct TraceParent: Sendable, Equatable, CustomStringConvertible {
    /// 32 lower-case hex digits, not all zero.
    public let traceId: String

    /// A new trace (random id).
    public init() { traceId = Self.hex(count: 16) }

    /// A given trace id (32 hex digits, not all zero); nil when malformed.
    public init?(traceId: String) {
        let t = traceId.lowercased()
        guard t.count == 32, t.allSatisfy({ $0.isHexDigit }), t != String(repeating: "0", count: 32) else { return nil }
        self.traceId = t
    }

    /// The `traceparent` header of a new span of this trace (version 00, sampled).
    public func header() -> String { "00-\(traceId)-\(Self.hex(count: 8))-01" }

    public var description: String { traceId }

    /// The trace as the wire carries it (Hello), with a new span id.
    public func context() -> TraceContext? { TraceContext(traceparent: header()) }

    static func hex(count: Int) -> String {
        var bytes = (0..<count).map { _ in UInt8.random(in: 0...255) }
        if bytes.allSatisfy({ $0 == 0 }) { bytes[0] = 1 }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// The trace the SDK's calls belong to (task-local; also works from plain threads).
public enum SDKTrace {
    @TaskLocal public static var current: TraceParent?
}
