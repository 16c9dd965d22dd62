#include <stdlib.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <uv.h>
#include "redis_libuv.h"

/* A copy of hiredis' libuv adapter (0.14.1) with two fixes, used by KKRedis:
 * 1. libuv reports POLLERR (connect refused after EINPROGRESS, RST) as status < 0 and stops
 *    the poll; the stock adapter returns and the context hangs forever. Here an error makes
 *    hiredis read, which surfaces the socket error and tears the context down.
 * 2. The stock attach leaks its state when uv_poll_init fails. */
typedef struct crelay_redis_uv {
    redisAsyncContext *context;
    uv_poll_t handle;
    int events;
} crelay_redis_uv;

static void crelay_redis_uv_poll(uv_poll_t *handle, int status, int events) {
    crelay_redis_uv *p = (crelay_redis_uv *)handle->data;
    if (status < 0) {
        if (p->context != NULL) redisAsyncHandleRead(p->context);
        return;
    }
    if (p->context != NULL && (events & UV_READABLE)) redisAsyncHandleRead(p->context);
    if (p->context != NULL && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
}
static void crelay_redis_uv_update(crelay_redis_uv *p) {
    if (p->events) uv_poll_start(&p->handle, p->events, crelay_redis_uv_poll);
    else uv_poll_stop(&p->handle);
}
static void crelay_redis_uv_add_read(void *d) { crelay_redis_uv *p = d; p->events |= UV_READABLE; crelay_redis_uv_update(p); }
static void crelay_redis_uv_del_read(void *d) { crelay_redis_uv *p = d; p->events &= ~UV_READABLE; crelay_redis_uv_update(p); }
static void crelay_redis_uv_add_write(void *d) { crelay_redis_uv *p = d; p->events |= UV_WRITABLE; crelay_redis_uv_update(p); }
static void crelay_redis_uv_del_write(void *d) { crelay_redis_uv *p = d; p->events &= ~UV_WRITABLE; crelay_redis_uv_update(p); }
static void crelay_redis_uv_on_close(uv_handle_t *h) { free(h->data); }
static void crelay_redis_uv_cleanup(void *d) {
    crelay_redis_uv *p = d;
    p->context = NULL; /* the context is about to be freed */
    uv_close((uv_handle_t *)&p->handle, crelay_redis_uv_on_close);
}

/* Attaches `ac` to `loop`; REDIS_ERR leaves `ac` unattached (the caller frees it). */
int crelay_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop) {
    if (ac->ev.data != NULL) return REDIS_ERR;
    crelay_redis_uv *p = (crelay_redis_uv *)calloc(1, sizeof(*p));
    if (p == NULL) return REDIS_ERR;
    if (uv_poll_init(loop, &p->handle, ac->c.fd) != 0) { free(p); return REDIS_ERR; }
    ac->ev.addRead = crelay_redis_uv_add_read;
    ac->ev.delRead = crelay_redis_uv_del_read;
    ac->ev.addWrite = crelay_redis_uv_add_write;
    ac->ev.delWrite = crelay_redis_uv_del_write;
    ac->ev.cleanup = crelay_redis_uv_cleanup;
    ac->ev.data = p;
    p->handle.data = p;
    p->context = ac;
    return REDIS_OK;
}

