import CHiredis
import CLibUV
import CRedisLibuv
import Glibc
import KKTestSupport
import Testing

@Suite struct HiredisSmokeTests {
    /// hiredis talks to the real redis-server (sync API).
    @Test func setAndGetOnRealRedis() throws {
        let port = try RedisTestServer.port()
        let c = redisConnect("127.0.0.1", Int32(port))
        #expect(c != nil && c!.pointee.err == 0)
        defer { redisFree(c) }
        let set: [UnsafeMutablePointer<CChar>?] = [strdup("SET"), strdup("kk:smoke"), strdup("vroom")]
        defer { set.forEach { free($0) } }
        var argv: [UnsafePointer<CChar>?] = set.map { UnsafePointer($0) }
        let r1 = redisCommandArgv(c, 3, &argv, [3, 8, 5])?.assumingMemoryBound(to: redisReply.self)
        #expect(r1?.pointee.type == REDIS_REPLY_STATUS)
        freeReplyObject(r1)
        let get: [UnsafeMutablePointer<CChar>?] = [strdup("GET"), strdup("kk:smoke")]
        defer { get.forEach { free($0) } }
        var gargv: [UnsafePointer<CChar>?] = get.map { UnsafePointer($0) }
        let r2 = redisCommandArgv(c, 2, &gargv, [3, 8])?.assumingMemoryBound(to: redisReply.self)
        #expect(r2?.pointee.type == REDIS_REPLY_STRING)
        #expect(String(cString: r2!.pointee.str) == "vroom")
        freeReplyObject(r2)
    }

    /// The async API on a libuv loop through hiredis' own adapter: PING gets PONG.
    @Test func asyncPingOnLibuv() throws {
        let port = try RedisTestServer.port()
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        defer { loop.deallocate() }
        #expect(uv_loop_init(loop) == 0)
        let ac = redisAsyncConnect("127.0.0.1", Int32(port))
        #expect(ac != nil && ac!.pointee.err == 0)
        #expect(crelay_redis_uv_attach(ac, loop) == REDIS_OK)
        let result = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        defer { result.deallocate() }
        result.pointee = 0
        let ping = strdup("PING")
        defer { free(ping) }
        var argv: [UnsafePointer<CChar>?] = [UnsafePointer(ping)]
        let rc = redisAsyncCommandArgv(ac, { ctx, reply, priv in
            let r = reply?.assumingMemoryBound(to: redisReply.self)
            if let r, r.pointee.type == REDIS_REPLY_STATUS, String(cString: r.pointee.str) == "PONG" {
                priv!.assumingMemoryBound(to: Int.self).pointee = 1
            }
            redisAsyncDisconnect(ctx)
        }, result, 1, &argv, [4])
        #expect(rc == REDIS_OK)
        uv_run(loop, UV_RUN_DEFAULT)
        #expect(result.pointee == 1)
        #expect(uv_loop_close(loop) == 0)
    }
}
