import KKLoop
import KKLocalStack
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

/// Polls `condition` (something outside the loop: a process's readiness over HTTP) for up to
/// `seconds`, running `loop` for 20 ms between polls: the clients on `loop` keep playing while
/// the test waits (``LocalProbe/eventually(seconds:_:)`` would hold them silent, and a relay
/// gives up a silent client after its idle timeout).
public func eventually(seconds: Double, driving loop: EventLoop, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicMillis() + Int64(seconds * 1000)
    while monotonicMillis() < deadline {
        if condition() { return true }
        _ = drive(loop, timeoutMillis: 20) { false }
    }
    return condition()
}

/// Sends one Redis command and drives the loop until its reply (nil on timeout).
public func roundTrip(_ client: RedisClient, _ loop: EventLoop, _ args: [RedisArg]) -> RedisReply? {
    var result: RedisReply?
    client.command(args) { result = $0 }
    _ = drive(loop) { result != nil }
    return result
}
