#ifndef KK_CHIREDIS_SHIM_H
#define KK_CHIREDIS_SHIM_H
/* hiredis shim: sync + async API and hiredis' own libuv adapter. Prefix: crelay_. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libuv.h>

/* redisLibuvAttach is a static function of the adapter header. */
static inline int crelay_redis_libuv_attach(redisAsyncContext *ac, uv_loop_t *loop) {
    return redisLibuvAttach(ac, loop);
}
static inline int crelay_redis_ok(void) { return REDIS_OK; }
static inline int crelay_redis_reply_string(void) { return REDIS_REPLY_STRING; }
static inline int crelay_redis_reply_integer(void) { return REDIS_REPLY_INTEGER; }
static inline int crelay_redis_reply_nil(void) { return REDIS_REPLY_NIL; }
static inline int crelay_redis_reply_array(void) { return REDIS_REPLY_ARRAY; }
static inline int crelay_redis_reply_status(void) { return REDIS_REPLY_STATUS; }
static inline int crelay_redis_reply_error(void) { return REDIS_REPLY_ERROR; }

#endif
