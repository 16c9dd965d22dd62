import Glibc

/// A failed system or libuv call: which call, and the errno / libuv code. The one place
/// where error numbers become Swift errors for the I/O adapters.
public struct IOError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let code: Int32

    public init(_ call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    /// From the current errno.
    public static func errno(_ call: String) -> IOError { IOError(call, code: Glibc.errno) }

    public var description: String {
        // libuv codes are negative errnos.
        "\(call) failed: \(String(cString: strerror(code < 0 ? -code : code))) (\(code))"
    }
}

/// Runs `body` for a syscall returning -1 + errno, retrying EINTR.
@inline(__always)
func retryingEINTR(_ body: () -> Int32) -> Int32 {
    while true {
        let r = body()
        if r < 0 && errno == EINTR { continue }
        return r
    }
}
