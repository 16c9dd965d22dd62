#ifndef KK_REDIS_LIBUV_H
#define KK_REDIS_LIBUV_H
/* hiredis on a libuv loop (KKRedis). The types are forward-declared: their definitions come from
 * the CHiredis and CLibUV modules, so uv.h and hiredis' headers stay owned by those modules. */
struct redisAsyncContext;
struct uv_loop_s;

/* Attaches `ac` to `loop`; returns REDIS_OK (0), or REDIS_ERR (-1) leaving `ac` unattached (the
 * caller frees it). */
int crelay_redis_uv_attach(struct redisAsyncContext *ac, struct uv_loop_s *loop);

#endif
