/// Wall and kart-to-kart collisions, integer math, fixed iteration order.
enum Collisions {
    /// Keeps the kart inside the corridor of `track.halfWidth - radius` around the
    /// centreline; removes the outward velocity component (walls stop karts) and
    /// scrubs some tangential speed.
    static func walls(_ k: inout KartState, track: Track) {
        let limit8 = (Int64(track.halfWidth) - KartTuning.radius) >> 8
        let near = track.nearest(x: k.x, y: k.y)
        guard near.dist2 > limit8 * limit8 else { return }
        let dist = Fx.isqrt(near.dist2)
        guard dist > 0 else { return }
        let ex = (Int64(k.x) >> 8) - near.cx, ey = (Int64(k.y) >> 8) - near.cy
        let nx = ex * 65_536 / dist, ny = ey * 65_536 / dist
        k.x = MatchSimulation.clampWorld((near.cx << 8) + ((nx * limit8) >> 8))
        k.y = MatchSimulation.clampWorld((near.cy << 8) + ((ny * limit8) >> 8))
        var vx = Int64(k.vx), vy = Int64(k.vy)
        let vn = Fx.mul(vx, nx) + Fx.mul(vy, ny)
        if vn > 0 {
            vx -= Fx.mul(vn, nx)
            vy -= Fx.mul(vn, ny)
            vx = Fx.mul(vx, KartTuning.wallScrapeKeep)
            vy = Fx.mul(vy, KartTuning.wallScrapeKeep)
            k.vx = Int32(vx)
            k.vy = Int32(vy)
        }
    }

    /// Circle-circle collisions between all pairs (i < j, in slot order): soft contact (see
    /// `KartTuning.contactSeparationDivisor`): push the pair apart by part of the overlap and
    /// exchange the approaching normal velocity (restitution 0.5) scaled by the overlap's depth.
    static func karts(_ karts: inout [KartState]) {
        let minDist = 2 * KartTuning.radius
        let n = karts.count
        var i = 0
        while i < n {
            var j = i + 1
            while j < n {
                let dx = Int64(karts[j].x) - Int64(karts[i].x)
                let dy = Int64(karts[j].y) - Int64(karts[i].y)
                if abs(dx) < minDist && abs(dy) < minDist {
                    let d2 = dx * dx + dy * dy
                    if d2 < minDist * minDist {
                        resolve(&karts, i, j, dx: dx, dy: dy, d2: d2)
                    }
                }
                j += 1
            }
            i += 1
        }
    }

    private static func resolve(_ karts: inout [KartState], _ i: Int, _ j: Int, dx: Int64, dy: Int64, d2: Int64) {
        let minDist = 2 * KartTuning.radius
        let dist = Fx.isqrt(d2)
        var nx: Int64 = 65_536, ny: Int64 = 0
        if dist > 0 { nx = dx * 65_536 / dist; ny = dy * 65_536 / dist }
        let overlap = minDist - dist
        let push = overlap / KartTuning.contactSeparationDivisor + 1
        let px = Fx.mul(nx, push), py = Fx.mul(ny, push)
        karts[i].x = MatchSimulation.clampWorld(Int64(karts[i].x) - px)
        karts[i].y = MatchSimulation.clampWorld(Int64(karts[i].y) - py)
        karts[j].x = MatchSimulation.clampWorld(Int64(karts[j].x) + px)
        karts[j].y = MatchSimulation.clampWorld(Int64(karts[j].y) + py)
        let rvx = Int64(karts[j].vx) - Int64(karts[i].vx)
        let rvy = Int64(karts[j].vy) - Int64(karts[i].vy)
        let rv = Fx.mul(rvx, nx) + Fx.mul(rvy, ny)
        guard rv < 0 else { return }
        let depth = min(overlap, KartTuning.contactFullImpulseDepth)
        let impulse = -rv * 3 / 4 * depth / KartTuning.contactFullImpulseDepth
        let ix = Fx.mul(impulse, nx), iy = Fx.mul(impulse, ny)
        let m = KartTuning.maxAxisVelocity
        karts[i].vx = Int32(Fx.clamp(Int64(karts[i].vx) - ix, -m, m))
        karts[i].vy = Int32(Fx.clamp(Int64(karts[i].vy) - iy, -m, m))
        karts[j].vx = Int32(Fx.clamp(Int64(karts[j].vx) + ix, -m, m))
        karts[j].vy = Int32(Fx.clamp(Int64(karts[j].vy) + iy, -m, m))
    }
}
