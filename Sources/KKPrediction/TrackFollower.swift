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
        let (cross, dot) = track.headingError(of: k, lateral: lateral)
        return Track.steering(cross: cross, dot: dot)
    }
}
