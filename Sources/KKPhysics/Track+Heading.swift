/// Where the track goes from a kart's point of view (integer math): what the autopilot steers by
/// and what a client guesses remote karts steer by.
extension Track {
    /// The sine (`cross`) and cosine (`dot`) of the angle between kart `k`'s heading and the
    /// direction to the centreline point ahead (the next vertex at least 15 m away), shifted
    /// sideways by `lateral` (1/256 m, positive to the left of the centreline), both Q16.
    public func headingError(of k: KartState, lateral: Int64) -> (cross: Int64, dot: Int64) {
        let near = nearest(x: k.x, y: k.y)
        let n = points.count
        var v = (near.segment + 1) % n
        let px = Int64(k.x) >> 8, py = Int64(k.y) >> 8
        var tx = Int64(points[v].x) >> 8, ty = Int64(points[v].y) >> 8
        if (tx - px) * (tx - px) + (ty - py) * (ty - py) < Int64(15 * 256) * Int64(15 * 256) {
            v = (v + 1) % n
            tx = Int64(points[v].x) >> 8; ty = Int64(points[v].y) >> 8
        }
        let prev = points[(v + n - 1) % n]
        let sdx = tx - (Int64(prev.x) >> 8), sdy = ty - (Int64(prev.y) >> 8)
        let slen = max(Fx.isqrt(sdx * sdx + sdy * sdy), 1)
        tx += -sdy * lateral / slen; ty += sdx * lateral / slen
        let dx = tx - px, dy = ty - py
        let dist = max(Fx.isqrt(dx * dx + dy * dy), 1)
        let c = Trig.cos(k.heading), s = Trig.sin(k.heading)
        return ((c * dy - s * dx) / dist, (c * dx + s * dy) / dist)
    }

    /// Proportional steering for a heading error: full lock when the target is behind.
    public static func steering(cross: Int64, dot: Int64) -> Int64 {
        if dot < 0 { return cross >= 0 ? 127 : -127 }
        return Fx.clamp(cross * 127 * 3 / 65_536, -127, 127)
    }
}
