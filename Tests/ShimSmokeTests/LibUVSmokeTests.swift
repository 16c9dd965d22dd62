import CLibUV
import Testing

@Suite struct LibUVSmokeTests {
    /// A uv loop runs a 1 ms timer to completion.
    @Test func timerFires() {
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        defer { loop.deallocate(); timer.deallocate() }
        #expect(uv_loop_init(loop) == 0)
        let fired = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { fired.deallocate() }
        fired.pointee = 0
        uv_timer_init(loop, timer)
        timer.pointee.data = UnsafeMutableRawPointer(fired)
        uv_timer_start(timer, { t in
            t!.pointee.data.assumingMemoryBound(to: Int.self).pointee += 1
        }, 1, 0)
        uv_run(loop, UV_RUN_DEFAULT)
        #expect(fired.pointee == 1)
        uv_close(crelay_uv_timer_as_handle(timer), nil)
        uv_run(loop, UV_RUN_DEFAULT)
        #expect(uv_loop_close(loop) == 0)
    }
}
