import ArgumentParser
import Foundation
import Glibc
import KKConsoleCore
import KKLocalStack

/// The main job's screen: the console's snapshots (`GET /v1/console/status` of the services on
/// this machine) drawn once a second to fit the terminal (80x24 and larger). On a terminal the
/// screen is redrawn in place; into a file or pipe a frame is written every `--plain-every`
/// seconds instead, and a last one when it stops.
@main
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kk-console",
                                                    abstract: "Live terminal view of a KartKlash stack (the services' console on 127.0.0.1).")

    @Option(help: "HTTP port of the kk-services running the console.") var port: Int
    @Option(help: "Stop when this process ends (the main job's load generator).") var untilPid: Int32?
    @Option(help: "Stop after this many seconds (0: never).") var seconds = 0.0
    @Option(help: "Without a terminal: write a frame every this many seconds.") var plainEvery = 5
    @Option(help: "Columns (default: the terminal's, else 80).") var width: Int?
    @Option(help: "Rows (default: the terminal's, else 24).") var height: Int?
    @Flag(help: "Draw one frame and exit.") var once = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        guard plainEvery >= 1 else { throw ValidationError("--plain-every must be at least 1") }
        if let w = width, w < 40 { throw ValidationError("--width must be at least 40") }
        if let h = height, h < 12 { throw ValidationError("--height must be at least 12") }
    }

    func run() throws {
        let tty = isatty(STDOUT_FILENO) == 1
        let start = Date()
        var frames = 0
        while true {
            let (w, h) = size(tty: tty)
            let lines: [String]
            if let r = LocalProbe.http(port: port, path: "/v1/console/status"), r.status == 200,
               let s = try? JSONDecoder().decode(ConsoleStatus.self, from: Data(r.body.utf8)) {
                lines = ConsoleScreen.render(s, width: w, height: h)
            } else {
                lines = ["KartKlash Edge - waiting for the console on 127.0.0.1:\(port)..."]
            }
            let stop = once || (untilPid.map { kill($0, 0) != 0 && errno == ESRCH } ?? false)
                || (seconds > 0 && Date().timeIntervalSince(start) >= seconds)
            if tty {
                // Home, draw, clear what is left of the old frame.
                print("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J", terminator: stop ? "\n" : "")
            } else if stop || frames % plainEvery == 0 {
                print(lines.joined(separator: "\n") + "\n")
            }
            fflush(nil)
            if stop { break }
            frames += 1
            usleep(1_000_000)
        }
    }

    /// The drawing area: the flags, else the terminal's size, else 80x24.
    func size(tty: Bool) -> (Int, Int) {
        var ws = winsize()
        let ok = tty && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &ws) == 0 && ws.ws_col > 0
        return (width ?? (ok ? max(40, Int(ws.ws_col)) : 80), height ?? (ok ? max(12, Int(ws.ws_row)) : 24))
    }
}
