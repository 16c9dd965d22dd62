import KKPhysics

/// A track drawn once into a character grid: walls `#`, road ` `, centreline `.`, start/finish
/// line `:`. The track is scaled to fit the grid keeping its shape (a character cell is
/// taken to be twice as tall as wide). ``cell(x:y:)`` maps a world position to a cell.
public struct TrackMap: Sendable {
    public let columns: Int
    public let rows: Int
    /// Row-major characters, `rows x columns`.
    public private(set) var cells: [Character]
    // World window, Q24.8 metres: origin (top-left) and metres per column (Q8).
    let minX: Int64, maxY: Int64, cellW: Int64

    public init(track: Track, columns: Int = 80, rows: Int = 22) {
        self.columns = max(columns, 8)
        self.rows = max(rows, 4)
        let margin = Int64(track.halfWidth) >> 8 + 256
        var lx = Int64.max, hx = Int64.min, ly = Int64.max, hy = Int64.min
        for p in track.points {
            lx = min(lx, Int64(p.x) >> 8); hx = max(hx, Int64(p.x) >> 8)
            ly = min(ly, Int64(p.y) >> 8); hy = max(hy, Int64(p.y) >> 8)
        }
        lx -= margin; hx += margin; ly -= margin; hy += margin
        let w = max(hx - lx, 256), h = max(hy - ly, 256)
        // Cells are 1 x 2 (width x height) in metres per column units.
        cellW = max((w + Int64(self.columns) - 1) / Int64(self.columns), (h + 2 * Int64(self.rows) - 1) / (2 * Int64(self.rows)), 1)
        // Centre the drawing.
        minX = lx - (cellW * Int64(self.columns) - w) / 2
        maxY = hy + (2 * cellW * Int64(self.rows) - h) / 2
        cells = [Character](repeating: " ", count: self.columns * self.rows)
        let half = Int64(track.halfWidth) >> 8
        let sx = Int64(track.points[0].x) >> 8, sy = Int64(track.points[0].y) >> 8
        let dx = (Int64(track.points[1].x) >> 8) - sx, dy = (Int64(track.points[1].y) >> 8) - sy
        let len = max(Int64(Double(dx * dx + dy * dy).squareRoot()), 1)
        for r in 0..<self.rows {
            for c in 0..<self.columns {
                let (x, y) = center(row: r, column: c)
                let n = track.nearest(x: Int32(clamping: x << 8), y: Int32(clamping: y << 8))
                let d = Int64(Double(n.dist2).squareRoot())   // Q8 metres
                var ch: Character = " "
                if d > half + cellW { ch = " " }
                else if d > half { ch = "#" }
                else if d <= cellW { ch = "." }
                let along = ((x - sx) * dx + (y - sy) * dy) / len
                let across = abs((x - sx) * dy - (y - sy) * dx) / len
                if d <= half, abs(along) * 2 <= cellW, across <= half + cellW { ch = ":" }
                cells[r * self.columns + c] = ch
            }
        }
    }

    /// World centre of a cell, Q24.8 metres.
    func center(row: Int, column: Int) -> (Int64, Int64) {
        (minX + Int64(column) * cellW + cellW / 2, maxY - Int64(row) * 2 * cellW - cellW)
    }

    /// The cell showing world position (Q16.16), or nil when outside the map.
    public func cell(x: Int32, y: Int32) -> (row: Int, column: Int)? {
        let c = Int((Int64(x) >> 8 - minX) / cellW)
        let r = Int((maxY - Int64(y) >> 8) / (2 * cellW))
        guard Int64(x) >> 8 >= minX, maxY >= Int64(y) >> 8, c < columns, r < rows else { return nil }
        return (r, c)
    }
}
