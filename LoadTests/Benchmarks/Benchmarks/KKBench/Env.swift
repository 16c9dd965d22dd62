#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ProcessEnv {
    static func flag(_ name: String) -> Bool {
        guard let v = getenv(name) else { return false }
        return String(cString: v) == "1"
    }
}

/// Prints one line to stderr (the sizes report), visible in the benchmark run's output.
func report(_ line: String) {
    let s = line + "\n"
    _ = s.withCString { fputs($0, stderr) }
}
