#ifndef KK_COPENSSL_SHIM_H
#define KK_COPENSSL_SHIM_H
/* OpenSSL shim: headers Swift imports, plus static inline wrappers for the
 * macros we use (Swift never re-implements a C macro). Prefix: crelay_. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>

/* AEAD control macros (EVP_CTRL_AEAD_*) via EVP_CIPHER_CTX_ctrl. */
static inline int crelay_evp_aead_set_ivlen(EVP_CIPHER_CTX *ctx, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, len, NULL);
}
static inline int crelay_evp_aead_get_tag(EVP_CIPHER_CTX *ctx, int len, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, len, tag);
}
static inline int crelay_evp_aead_set_tag(EVP_CIPHER_CTX *ctx, int len, void *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, len, tag);
}

/* DTLS / BIO macros. */
static inline long crelay_ssl_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
static inline long crelay_dtls_get_timeout(SSL *ssl, struct timeval *tv) { return DTLSv1_get_timeout(ssl, tv); }
static inline long crelay_dtls_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline long crelay_bio_set_mem_eof_return(BIO *bio, long v) { return BIO_set_mem_eof_return(bio, v); }
static inline long crelay_bio_ctrl_pending(BIO *bio) { return (long)BIO_ctrl_pending(bio); }
static inline long crelay_ssl_ctx_set_options(SSL_CTX *ctx, uint64_t op) { return (long)SSL_CTX_set_options(ctx, op); }
static inline long crelay_ssl_ctx_set_min_proto(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long crelay_ssl_ctx_set_max_proto(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline long crelay_ssl_ctx_set_read_ahead(SSL_CTX *ctx, int yes) { return SSL_CTX_set_read_ahead(ctx, yes); }
static inline int crelay_ssl_ctx_set_ecdh_groups(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }
static inline unsigned long crelay_ssl_op_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }
static inline unsigned long crelay_ssl_op_cookie_exchange(void) { return SSL_OP_COOKIE_EXCHANGE; }
static inline unsigned long crelay_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }
static inline int crelay_dtls1_2_version(void) { return DTLS1_2_VERSION; }

#endif
