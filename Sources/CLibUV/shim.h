#ifndef KK_CLIBUV_SHIM_H
#define KK_CLIBUV_SHIM_H
/* libuv shim: the header Swift imports, plus static inline wrappers for what
 * Swift cannot use directly (handle up-casts, macros). Prefix: crelay_. */
#include <uv.h>

static inline uv_handle_t *crelay_uv_timer_as_handle(uv_timer_t *t) { return (uv_handle_t *)t; }
static inline uv_handle_t *crelay_uv_udp_as_handle(uv_udp_t *u) { return (uv_handle_t *)u; }
static inline uv_handle_t *crelay_uv_poll_as_handle(uv_poll_t *p) { return (uv_handle_t *)p; }
static inline uv_handle_t *crelay_uv_async_as_handle(uv_async_t *a) { return (uv_handle_t *)a; }
static inline uv_handle_t *crelay_uv_signal_as_handle(uv_signal_t *s) { return (uv_handle_t *)s; }
static inline uv_buf_t crelay_uv_buf(char *base, size_t len) { return uv_buf_init(base, (unsigned int)len); }

#endif
