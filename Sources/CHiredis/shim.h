#ifndef KK_CHIREDIS_SHIM_H
#define KK_CHIREDIS_SHIM_H
/* hiredis shim: sync + async API (macros as static inline functions). Prefix: crelay_.
 * The libuv adapter is real C code in the CRedisLibuv target. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>

static inline int crelay_redis_ok(void) { return REDIS_OK; }
static inline int crelay_redis_reply_string(void) { return REDIS_REPLY_STRING; }
static inline int crelay_redis_reply_integer(void) { return REDIS_REPLY_INTEGER; }
static inline int crelay_redis_reply_nil(void) { return REDIS_REPLY_NIL; }
static inline int crelay_redis_reply_array(void) { return REDIS_REPLY_ARRAY; }
static inline int crelay_redis_reply_status(void) { return REDIS_REPLY_STATUS; }
static inline int crelay_redis_reply_error(void) { return REDIS_REPLY_ERROR; }

static inline int crelay_redis_flag_connected(void) { return REDIS_CONNECTED; }
static inline int crelay_redis_flag_in_callback(void) { return REDIS_IN_CALLBACK; }
static inline int crelay_redis_flag_closing(void) { return REDIS_DISCONNECTING | REDIS_FREEING; }

#endif
