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
#include <openssl/sha.h>

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
static inline long crelay_ssl_ctx_set_dh_auto(SSL_CTX *ctx) { return SSL_CTX_set_dh_auto(ctx, 1); }
/* Frees a session's 16+ KB read/write record buffers while they are empty (idle clients). */
static inline long crelay_ssl_ctx_set_release_buffers(SSL_CTX *ctx) { return (long)SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); }
static inline unsigned long crelay_ssl_op_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }
static inline unsigned long crelay_ssl_op_cookie_exchange(void) { return SSL_OP_COOKIE_EXCHANGE; }
static inline unsigned long crelay_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }
static inline int crelay_dtls1_2_version(void) { return DTLS1_2_VERSION; }

/* DTLS server/client context settings (macros or constants behind macros). */
static inline long crelay_ssl_ctx_set_session_cache_off(SSL_CTX *ctx) { return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); }
static inline unsigned long crelay_ssl_op_no_renegotiation(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline unsigned long crelay_ssl_op_cipher_server_preference(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline int crelay_ssl_set_app_data(SSL *ssl, void *arg) { return SSL_set_app_data(ssl, arg); }
static inline void *crelay_ssl_get_app_data(const SSL *ssl) { return SSL_get_app_data(ssl); }
static inline long crelay_bio_get_mem_data(BIO *bio, char **pp) { return BIO_get_mem_data(bio, pp); }
static inline long crelay_bio_reset(BIO *bio) { return BIO_reset(bio); }
static inline int crelay_err_get_lib(unsigned long e) { return ERR_GET_LIB(e); }
static inline int crelay_err_get_reason(unsigned long e) { return ERR_GET_REASON(e); }
static inline int crelay_ssl_ad_reason_offset(void) { return SSL_AD_REASON_OFFSET; }
static inline int crelay_ssl_r_read_timeout_expired(void) { return SSL_R_READ_TIMEOUT_EXPIRED; }
static inline int crelay_ssl_r_psk_identity_not_found(void) { return SSL_R_PSK_IDENTITY_NOT_FOUND; }
static inline int crelay_err_lib_ssl(void) { return ERR_LIB_SSL; }

/* SHA-256 block API with caller-owned state (no allocation): the stateless cookie HMAC copies
 * precomputed inner/outer states per packet. EVP_MD_CTX_copy_ex allocates in OpenSSL 3, so the
 * (3.0-deprecated, still shipped) low-level API is wrapped here with the warning silenced. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
static inline int crelay_sha256_init(SHA256_CTX *c) { return SHA256_Init(c); }
static inline int crelay_sha256_update(SHA256_CTX *c, const void *data, size_t len) { return SHA256_Update(c, data, len); }
static inline int crelay_sha256_final(unsigned char *md, SHA256_CTX *c) { return SHA256_Final(md, c); }
#pragma clang diagnostic pop

#endif
