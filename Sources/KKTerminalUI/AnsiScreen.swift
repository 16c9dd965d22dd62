/// ANSI/VT100 escape sequences for a full-screen terminal game: alternate screen, hidden
/// cursor, redraw from the top-left, and the restore sequence. Builds strings only; the
/// executable writes them (and sets raw mode).
public enum AnsiScreen {
    /// Alternate screen, hide cursor, clear.
    public static let enter = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J"
    /// Show cursor, leave the alternate screen, reset attributes.
    public static let restore = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

    /// One whole frame: cursor home, each line followed by clear-to-end-of-line; the own
    /// kart's cell in reverse video.
    public static func frame(_ lines: [String], highlight: (row: Int, column: Int)? = nil) -> String {
        var out = "\u{1B}[H"
        for (r, line) in lines.enumerated() {
            if let h = highlight, h.row == r, h.column < line.count {
                let chars = Array(line)
                out += String(chars[..<h.column]) + "\u{1B}[7m" + String(chars[h.column]) + "\u{1B}[0m"
                    + String(chars[(h.column + 1)...])
            } else {
                out += line
            }
            out += "\u{1B}[K"
            if r < lines.count - 1 { out += "\r\n" }
        }
        return out
    }
}
