/// Per-kart driving physics for one tick. Integer math only.
///
/// Steering: positive `steer` turns left (counter-clockwise); turn rate scales with forward
/// speed up to `KartTuning.turnRefSpeed` and inverts when reversing.
enum KartDynamics {
    static func drive(_ k: inout KartState, input: KartInput, previous: KartInput) {
        typealias T = KartTuning
        let steer = input.clampedSteer
        var vx = Int64(k.vx), vy = Int64(k.vy)
        var c = Trig.cos(k.heading), s = Trig.sin(k.heading)
        var fwd = Fx.mul(vx, c) &+ Fx.mul(vy, s)

        // Steering and drift.
        let authority = min(abs(fwd), T.turnRefSpeed)
        var turn = steer * T.maxTurn * authority / (127 * T.turnRefSpeed)
        if fwd < 0 { turn = -turn }
        if k.driftDir == 0 {
            if input.has(KartInput.drift) && abs(steer) >= 32 && fwd >= T.driftMinSpeed {
                k.driftDir = steer > 0 ? 1 : -1
                k.driftCharge = 0
            }
        } else if !input.has(KartInput.drift) || fwd < T.driftMinSpeed / 2 {
            if k.driftCharge >= T.superTurboCharge {
                k.boostTicks = max(k.boostTicks, T.superTurboTicks)
            } else if k.driftCharge >= T.miniTurboCharge {
                k.boostTicks = max(k.boostTicks, T.miniTurboTicks)
            }
            k.driftDir = 0
            k.driftCharge = 0
        } else if k.driftCharge < UInt16.max {
            k.driftCharge += 1
        }
        if k.driftDir != 0 { turn = turn * 5 / 4 + Int64(k.driftDir) * T.driftBias }
        k.heading = k.heading &+ UInt16(truncatingIfNeeded: turn)

        // Item boost on the rising edge of useItem.
        if input.has(KartInput.useItem) && !previous.has(KartInput.useItem) && k.boostStock > 0 {
            k.boostStock -= 1
            k.boostTicks = max(k.boostTicks, T.itemBoostTicks)
        }

        // Velocity in the new heading frame: forward and left components.
        c = Trig.cos(k.heading); s = Trig.sin(k.heading)
        fwd = Fx.mul(vx, c) &+ Fx.mul(vy, s)
        var lat = Fx.mul(vy, c) &- Fx.mul(vx, s)

        let boosting = k.boostTicks > 0
        let top = boosting ? T.boostMaxSpeed : T.maxSpeed
        if input.has(KartInput.brake) {
            fwd = fwd > 0 ? max(0, fwd - T.brakeDecel) : max(-T.maxReverse, fwd - T.reverseAccel)
        } else if input.has(KartInput.accelerate) || boosting {
            let a = boosting ? T.boostAccel : T.accel
            fwd = fwd < top ? min(top, fwd + a) : max(top, fwd - T.overSpeedDrag)
        } else if fwd > top {
            fwd -= T.overSpeedDrag
        } else {
            fwd = fwd > 0 ? max(0, fwd - T.coastDrag) : min(0, fwd + T.coastDrag)
        }
        if boosting { k.boostTicks -= 1 }
        lat = Fx.mul(lat, k.driftDir != 0 ? T.driftGripKeep : T.gripKeep)

        vx = Fx.mul(fwd, c) &- Fx.mul(lat, s)
        vy = Fx.mul(fwd, s) &+ Fx.mul(lat, c)
        vx = Fx.clamp(vx, -T.maxAxisVelocity, T.maxAxisVelocity)
        vy = Fx.clamp(vy, -T.maxAxisVelocity, T.maxAxisVelocity)
        k.vx = Int32(vx)
        k.vy = Int32(vy)
        k.x = MatchSimulation.clampWorld(Int64(k.x) + vx)
        k.y = MatchSimulation.clampWorld(Int64(k.y) + vy)
    }
}
