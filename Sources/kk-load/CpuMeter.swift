import Foundation

/// CPU time of processes from /proc/PID/task/*/schedstat (exact ns, every thread).
enum CpuMeter {
    /// Nanoseconds of CPU used so far by every thread of `pid` (0 when it is gone).
    static func nanos(_ pid: Int32) -> UInt64 {
        let dir = "/proc/\(pid)/task"
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return 0 }
        var total: UInt64 = 0
        for t in tasks {
            guard let s = try? String(contentsOfFile: "\(dir)/\(t)/schedstat", encoding: .utf8),
                  let first = s.split(separator: " ").first, let v = UInt64(first) else { continue }
            total += v
        }
        return total
    }
}

/// Turns CPU-nanosecond readings of groups of pids into percent of one core per window.
struct CpuTracker {
    var groups: [String: [Int32]] = [:]
    private var last: [Int32: UInt64] = [:]
    private var lastWall: UInt64 = 0

    /// Percent of one core per group since the previous call.
    mutating func sample(wallNanos: UInt64) -> [String: Double] {
        let wall = max(1, wallNanos &- lastWall)
        var out: [String: Double] = [:]
        for (g, pids) in groups {
            var used: UInt64 = 0
            for p in pids {
                let n = CpuMeter.nanos(p)
                if n >= (last[p] ?? 0) { used += n - (last[p] ?? 0) }
                if n > 0 { last[p] = n }
            }
            out[g] = lastWall == 0 ? 0 : Double(used) / Double(wall) * 100
        }
        lastWall = wallNanos
        return out
    }
}
