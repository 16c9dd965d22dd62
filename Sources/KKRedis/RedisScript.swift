/// A Lua script run with EVALSHA, falling back to EVAL when the server answers NOSCRIPT (first
/// use, or after a restart / SCRIPT FLUSH); EVAL also caches it on the server. Loop-thread only.
public final class RedisScript {
    public let source: String
    /// Lowercase hex SHA-1 of ``source`` (what EVALSHA and SCRIPT LOAD use).
    public let sha1: String
    /// How many runs needed the EVAL fallback.
    public private(set) var fallbacks = 0

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }

    /// Runs the script with `keys` (KEYS[1...]) and `args` (ARGV[1...]); `reply` runs exactly
    /// once with the script's reply or an error (refusals as in ``RedisClient/command(_:reply:)``).
    public func run(on client: RedisClient, keys: [RedisArg] = [], args: [RedisArg] = [],
                    reply: @escaping (RedisReply) -> Void) {
        let tail: [[UInt8]] = [Array(String(keys.count).utf8)] + keys.map(\.bytes) + args.map(\.bytes)
        client.command([Array("EVALSHA".utf8), Array(sha1.utf8)] + tail) { [self] r in
            guard case .error(let message) = r, message.hasPrefix("NOSCRIPT") else { return reply(r) }
            fallbacks += 1
            client.command([Array("EVAL".utf8), Array(source.utf8)] + tail, reply: reply)
        }
    }
}
