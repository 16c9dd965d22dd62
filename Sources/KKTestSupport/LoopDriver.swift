import KKLoop
import KKRedis

/// Runs `loop` until `done()` holds or `timeoutMillis` pass (a LoopTimer stops the loop);
/// returns `done()`. Never sleeps: it blocks in the loop until the next event.
public func drive(_ loop: EventLoop, timeoutMillis: UInt64 = 10_000, until done: () -> Bool) -> Bool {
    var expired = false
    let deadline = LoopTimer(loop: loop)
    deadline.start(afterMillis: timeoutMillis) {
        expired = true
        loop.stop()
    }
    defer { deadline.stop(); deadline.close() }
    while !done() && !expired { loop.runOnce(wait: true) }
    return done()
}

/// Sends one Redis command and drives the loop until its reply (nil on timeout).
public func roundTrip(_ client: RedisClient, _ loop: EventLoop, _ args: [RedisArg]) -> RedisReply? {
    var result: RedisReply?
    client.command(args) { result = $0 }
    _ = drive(loop) { result != nil }
    return result
}
