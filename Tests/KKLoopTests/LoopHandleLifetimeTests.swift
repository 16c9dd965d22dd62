import Glibc
import KKLoop
import Testing

/// A handle's callback usually holds the object that holds the handle. Closing the handle must
/// break that cycle, or a process's whole object graph outlives its loop (LeakSanitizer found
/// exactly that at the exit of kk-relay and kk-shard in the soak).
@Suite struct LoopHandleLifetimeTests {
    /// Owns a handle whose callback captures the owner strongly.
    final class Owner {
        var timer: LoopTimer?
        var signal: LoopSignal?
        var async: LoopAsync?
        var poll: LoopPoll?
        var fired = 0
    }

    @Test func closingHandlesReleasesWhatTheirCallbacksHeld() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { Glibc.close(fds[0]); Glibc.close(fds[1]) }
        weak var gone: Owner?
        do {
            let owner = Owner()
            gone = owner
            let timer = LoopTimer(loop: loop)
            timer.start(afterMillis: 1, repeatMillis: 1) { owner.fired += 1 }
            owner.timer = timer
            let signal = LoopSignal(loop: loop)
            signal.start(SIGUSR2) { owner.fired += 1 }
            owner.signal = signal
            owner.async = try LoopAsync(loop: loop) { owner.fired += 1 }
            let poll = try LoopPoll(loop: loop, fd: fds[0])
            poll.start(.readable) { _ in owner.fired += 1 }
            owner.poll = poll
            owner.async?.send()
            loop.runOnce(wait: true)
            #expect(owner.fired >= 1)
            timer.stop(); timer.close()
            signal.stop(); signal.close()
            owner.async?.close()
            poll.stop(); poll.close()
        }
        #expect(gone != nil, "the cycle owner -> handle -> callback -> owner holds it until the close callbacks ran")
        loop.runClosing()
        #expect(gone == nil)
        loop.close()
    }
}
