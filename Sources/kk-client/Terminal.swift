import Glibc
import KKTerminalUI

/// The player's terminal: raw mode (termios), alternate screen, hidden cursor, and their
/// restoration on every exit path the process can catch: normal exit, `q`, Ctrl-C (a key in raw
/// mode), SIGINT/SIGTERM/SIGHUP (handled on the loop by the app), `atexit`, and crash signals
/// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE: Swift traps raise SIGILL/SIGTRAP), where
/// an async-signal-safe handler restores termios, writes the restore sequence and hands the
/// signal to the action installed before (the Swift runtime's backtracer, or the default).
/// SIGKILL cannot be caught: `reset` (or `stty sane; tput rmcup cnorm`) repairs the terminal then.
enum Terminal {
    // Written once before the handlers are installed; read by the signal handler.
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var active: Int32 = 0
    nonisolated(unsafe) private static var restoreBytes: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) private static var restoreCount = 0

    enum Failure: Error, CustomStringConvertible {
        case notATerminal
        case termios(Int32)
        var description: String {
            switch self {
            case .notATerminal: "kk-client needs a terminal on stdin and stdout to play (use --headless for a status line per second)"
            case .termios(let e): "cannot set the terminal to raw mode: \(String(cString: strerror(e)))"
            }
        }
    }

    /// Rows and columns (0 when unknown).
    static var size: (rows: Int, columns: Int) {
        var ws = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &ws) == 0 else { return (0, 0) }
        return (Int(ws.ws_row), Int(ws.ws_col))
    }

    /// Raw mode (no echo, no line buffering, no signals from keys: Ctrl-C arrives as 0x03),
    /// non-blocking reads, alternate screen, hidden cursor.
    static func enter() throws(Failure) {
        guard isatty(0) == 1, isatty(1) == 1 else { throw .notATerminal }
        guard tcgetattr(0, &saved) == 0 else { throw .termios(errno) }
        let seq = Array(AnsiScreen.restore.utf8)
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: seq.count)
        p.initialize(from: seq, count: seq.count)
        restoreBytes = p
        restoreCount = seq.count
        var raw = saved
        cfmakeraw(&raw)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(0, TCSAFLUSH, &raw) == 0 else { throw .termios(errno) }
        active = 1
        installCrashHandlers()
        atexit { Terminal.restore() }
        write(AnsiScreen.enter)
    }

    /// Puts the terminal back (idempotent, async-signal-safe).
    static func restore() {
        guard active == 1 else { return }
        active = 0
        if let p = restoreBytes { _ = Glibc.write(1, p, restoreCount) }
        _ = tcsetattr(0, TCSAFLUSH, &saved)
    }

    /// The actions installed before ours (the Swift runtime's backtracer, or the default), by signal.
    nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 65 * MemoryLayout<sigaction>.stride, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 65 * MemoryLayout<sigaction>.stride)
        return raw.bindMemory(to: sigaction.self, capacity: 65)
    }()

    private static func installCrashHandlers() {
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            var sa = previous[0]   // zeroed
            sa.__sigaction_handler.sa_handler = { sig in
                Terminal.restore()
                // Hand over to the previous action (backtrace on the restored screen, or the
                // default crash): it runs when this handler returns (the signal is blocked now)
                // or when the faulting instruction traps again.
                _ = setAction(sig, Terminal.previous.advanced(by: Int(sig)), nil)
                raise(sig)
            }
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = 0
            _ = setAction(sig, &sa, previous.advanced(by: Int(sig)))
        }
    }

    /// Writes all of `s` to stdout (blocking tty).
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(1, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; return }
                off += n
            }
        }
    }
}

/// sigaction(2) (a free function: inside a type, the name `sigaction` resolves to the struct).
private func setAction(_ sig: Int32, _ new: UnsafePointer<sigaction>?, _ old: UnsafeMutablePointer<sigaction>?) -> Int32 {
    sigaction(sig, new, old)
}
