/// Redis Cluster's key -> hash slot mapping (CRC16-XMODEM of the key, or of its hash tag: the
/// bytes between the first `{` and the first `}` after it, when not empty; modulo 16384), and
/// which argument of a command is its key. Pure.
public enum RedisSlot {
    /// Hash slots in a cluster.
    public static let count = 16384

    /// The slot `key` lives in.
    public static func of(_ key: some Collection<UInt8>) -> Int {
        let bytes = Array(key)
        var start = 0, end = bytes.count
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            start = open + 1
            end = close
        }
        var crc: UInt16 = 0
        for i in start..<end {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ bytes[i])]
        }
        return Int(crc) & (count - 1)
    }

    /// The slot of a text key.
    public static func of(_ key: String) -> Int { of(Array(key.utf8)) }

    /// The index in `args` of the key a cluster routes the command by, or nil when the command
    /// has no key (PUBLISH, PING, CLUSTER, a script with no keys: any node answers it).
    public static func keyIndex(_ args: [[UInt8]]) -> Int? {
        guard let first = args.first, first.count <= 16 else { return args.count > 1 ? 1 : nil }
        let name = String(decoding: first, as: UTF8.self).lowercased()
        switch name {
        case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
            guard args.count > 3, let n = Int(String(decoding: args[2], as: UTF8.self)), n > 0 else { return nil }
            return 3
        case "xread", "xreadgroup":
            guard let s = args.firstIndex(where: { String(decoding: $0, as: UTF8.self).lowercased() == "streams" }),
                  s + 1 < args.count else { return nil }
            return s + 1
        case "publish", "ping", "info", "cluster", "script", "client", "time", "dbsize", "flushall", "flushdb",
             "config", "asking", "readonly", "echo", "command", "role", "function":
            return nil
        default:
            return args.count > 1 ? 1 : nil
        }
    }

    private static let table: [UInt16] = (0..<256).map { i in
        var c = UInt16(i) << 8
        for _ in 0..<8 { c = (c & 0x8000) != 0 ? (c << 1) ^ 0x1021 : c << 1 }
        return c
    }
}
