import CHiredis
import Glibc

/// A blocking hiredis connection for test set-up and checks and for kk-load's coordinator
/// (match allocation); never used by the services.
public final class RedisSync {
    private let c: UnsafeMutablePointer<redisContext>

    public init?(host: String = "127.0.0.1", port: Int) {
        guard let c = redisConnect(host, Int32(port)), c.pointee.err == 0 else { return nil }
        self.c = c
    }

    deinit { redisFree(c) }

    /// Runs a command; returns the reply as text (string/status/integer), nil for nil/error.
    /// A connection that broke (Redis restarted) is made again first.
    @discardableResult
    public func run(_ args: String...) -> String? {
        if c.pointee.err != 0 { guard redisReconnect(c) == REDIS_OK else { return nil } }
        let cstrs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        defer { cstrs.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = cstrs.map { UnsafePointer($0) }
        let lens = args.map { $0.utf8.count }
        guard let raw = redisCommandArgv(c, Int32(args.count), &argv, lens) else { return nil }
        let r = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        switch r.pointee.type {
        case REDIS_REPLY_STRING, REDIS_REPLY_STATUS: return String(cString: r.pointee.str)
        case REDIS_REPLY_INTEGER: return String(r.pointee.integer)
        default: return nil
        }
    }
}
