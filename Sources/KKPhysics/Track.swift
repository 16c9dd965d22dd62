import KKBytes

/// A closed racing circuit: a centreline polyline with a constant width, checkpoints
/// at centreline vertices (the first is the start/finish line) and a start grid behind it.
///
/// Walls are everything farther than `halfWidth` from the centreline. Derived geometry is
/// precomputed at init in integers; tracks are defined as text (see `TrackParser`).
public struct Track: Sendable {
    /// A centreline vertex, Q16.16 metres.
    public struct Point: Equatable, Sendable {
        public var x: Int32
        public var y: Int32
        public init(x: Int32, y: Int32) { self.x = x; self.y = y }
    }

    /// One centreline segment in Q24.8 metres (`a` to `a + d`).
    @usableFromInline struct Segment: Sendable {
        var ax: Int64, ay: Int64, dx: Int64, dy: Int64, len2: Int64
    }

    /// A checkpoint gate: vertex position (Q24.8) and unit tangent (Q16.16).
    @usableFromInline struct Gate: Sendable {
        var x: Int64, y: Int64, tx: Int64, ty: Int64
    }

    public let name: String
    /// Default number of laps.
    public let laps: UInt8
    /// Half the driveable width, Q16.16 metres.
    public let halfWidth: Int32
    public let points: [Point]
    /// Vertex indices of the checkpoints; `checkpoints[0]` is the start/finish line.
    public let checkpoints: [Int]
    /// Start-grid positions (2 columns, 6 m rows behind the line), `Limits.maxPlayersPerMatch` of them.
    public let grid: [Point]
    /// Heading of every grid slot (direction of the first segment).
    public let gridHeading: UInt16

    @usableFromInline let segments: [Segment]
    @usableFromInline let gates: [Gate]

    /// Builds a track; `points` needs at least 3 vertices, checkpoints must be strictly
    /// increasing vertex indices starting at 0.
    public init(name: String, laps: UInt8, halfWidth: Int32, points: [Point], checkpoints: [Int]) throws(PhysicsError) {
        guard points.count >= 3 && points.count <= 250 else { throw .badTrack(line: 0, reason: "need 3...250 points") }
        guard checkpoints.first == 0, checkpoints.count >= 2, checkpoints.count <= 250 else {
            throw .badTrack(line: 0, reason: "checkpoints must start at 0 and have 2...250 entries")
        }
        for i in 1..<checkpoints.count where checkpoints[i] <= checkpoints[i - 1] || checkpoints[i] >= points.count {
            throw .badTrack(line: 0, reason: "checkpoints must increase and index points")
        }
        guard halfWidth >= Fx.metres(3) && halfWidth <= Fx.metres(64) else { throw .badTrack(line: 0, reason: "width") }
        let limit = Fx.metres(Int(MatchSimulation.worldLimitMetres) - 100)
        for p in points where abs(Int64(p.x)) > Int64(limit) || abs(Int64(p.y)) > Int64(limit) {
            throw .badTrack(line: 0, reason: "point outside the world")
        }
        self.name = name
        self.laps = laps
        self.halfWidth = halfWidth
        self.points = points
        self.checkpoints = checkpoints
        var segs: [Segment] = []
        for i in 0..<points.count {
            let a = points[i], b = points[(i + 1) % points.count]
            let ax = Int64(a.x) >> 8, ay = Int64(a.y) >> 8
            let dx = (Int64(b.x) >> 8) - ax, dy = (Int64(b.y) >> 8) - ay
            let len2 = dx * dx + dy * dy
            guard len2 > 256 * 256 else { throw .badTrack(line: 0, reason: "segment \(i) shorter than 1 m") }
            segs.append(Segment(ax: ax, ay: ay, dx: dx, dy: dy, len2: len2))
        }
        segments = segs
        gates = checkpoints.map { v in
            let s = segs[v]
            let len = Fx.isqrt(s.len2)
            return Gate(x: s.ax, y: s.ay, tx: s.dx * 65_536 / len, ty: s.dy * 65_536 / len)
        }
        let g0 = gates[0]
        gridHeading = Trig.atan2(y: g0.ty, x: g0.tx)
        var grid: [Point] = []
        for slot in 0..<Limits.maxPlayersPerMatch {
            let back = Int64(6 + 6 * (slot / 2)) * 256   // Q8 metres behind the line
            let side: Int64 = (slot % 2 == 0 ? 3 : -3) * 256
            let x = g0.x - (g0.tx * back) / 65_536 - (g0.ty * side) / 65_536
            let y = g0.y - (g0.ty * back) / 65_536 + (g0.tx * side) / 65_536
            grid.append(Point(x: Int32(x << 8), y: Int32(y << 8)))
        }
        self.grid = grid
    }
}

extension Track {
    /// Result of a nearest-centreline query, Q24.8 metres.
    public struct Nearest: Sendable {
        /// Segment index (0 = from vertex 0 to vertex 1).
        public var segment: Int
        /// Closest centreline point.
        public var cx: Int64
        public var cy: Int64
        /// Squared distance to it, Q16 (Q8 squared).
        public var dist2: Int64
    }

    /// The closest point of the centreline to (x, y) (Q16.16 input). Ties go to the
    /// lowest segment index, so the answer is the same everywhere.
    public func nearest(x: Int32, y: Int32) -> Nearest {
        let px = Int64(x) >> 8, py = Int64(y) >> 8
        var best = Nearest(segment: 0, cx: 0, cy: 0, dist2: Int64.max)
        for i in 0..<segments.count {
            let s = segments[i]
            let apx = px - s.ax, apy = py - s.ay
            let dot = apx * s.dx + apy * s.dy
            var cx = s.ax, cy = s.ay
            if dot >= s.len2 {
                cx += s.dx; cy += s.dy
            } else if dot > 0 {
                let t = (dot << 16) / s.len2
                cx += (s.dx * t) >> 16; cy += (s.dy * t) >> 16
            }
            let ex = px - cx, ey = py - cy
            let d2 = ex * ex + ey * ey
            if d2 < best.dist2 { best = Nearest(segment: i, cx: cx, cy: cy, dist2: d2) }
        }
        return best
    }

    /// Number of centreline segments.
    public var segmentCount: Int { segments.count }
}
