import KKPhysics

/// Guesses a remote kart's steering for the ticks after the newest authoritative frame: a racer
/// follows the track, so the guess steers towards the centreline point ahead, shifted sideways
/// by the kart's own lateral offset (its line), plus what the kart's real steering differed by
/// at the frame, fading out (`ClientPredictor` uses it instead of repeating the last steering).
public enum TrackFollower {
    /// Signed sideways offset of the kart from the centreline, 1/256 m (positive: left).
    public static func lateral(_ k: KartState, track: Track) -> Int64 {
        let near = track.nearest(x: k.x, y: k.y)
        let n = track.points.count
        let a = track.points[near.segment], b = track.points[(near.segment + 1) % n]
        let sdx = (Int64(b.x) - Int64(a.x)) >> 8, sdy = (Int64(b.y) - Int64(a.y)) >> 8
        let slen = max(Fx.isqrt(sdx * sdx + sdy * sdy), 1)
        let ex = (Int64(k.x) >> 8) - near.cx, ey = (Int64(k.y) >> 8) - near.cy
        return (sdx * ey - sdy * ex) / slen
    }

    /// The steering that heads for the track ahead at lateral offset `lateral` (1/256 m).
    public static func steer(_ k: KartState, track: Track, lateral: Int64) -> Int64 {
        let near = track.nearest(x: k.x, y: k.y)
        let n = track.points.count
        var v = (near.segment + 1) % n
        let px = Int64(k.x) >> 8, py = Int64(k.y) >> 8
        var tx = Int64(track.points[v].x) >> 8, ty = Int64(track.points[v].y) >> 8
        if (tx - px) * (tx - px) + (ty - py) * (ty - py) < Int64(15 * 256) * Int64(15 * 256) {
            v = (v + 1) % n
            tx = Int64(track.points[v].x) >> 8; ty = Int64(track.points[v].y) >> 8
        }
        let prev = track.points[(v + n - 1) % n]
        let sdx = tx - (Int64(prev.x) >> 8), sdy = ty - (Int64(prev.y) >> 8)
        let slen = max(Fx.isqrt(sdx * sdx + sdy * sdy), 1)
        tx += -sdy * lateral / slen; ty += sdx * lateral / slen
        let dx = tx - px, dy = ty - py
        let dist = max(Fx.isqrt(dx * dx + dy * dy), 1)
        let c = Trig.cos(k.heading), s = Trig.sin(k.heading)
        let cross = (c * dy - s * dx) / dist
        let dot = (c * dx + s * dy) / dist
        if dot < 0 { return cross >= 0 ? 127 : -127 }
        return Fx.clamp(cross * 127 * 3 / 65_536, -127, 127)
    }
}
