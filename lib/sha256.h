/* sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Used to sign OAuth 1.0a requests (HMAC-SHA256) and to hash mapped
 * payloads (sync_hash). The context is a plain struct so callers can keep
 * it on the stack; treat its fields as private. */
#ifndef MS_SHA256_H
#define MS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"

#define SHA256_DIGEST_LEN	32
#define SHA256_BLOCK_LEN	64
#define SHA256_HEX_LEN		(2 * SHA256_DIGEST_LEN)	/* without the NUL */

struct sha256_ctx {
	uint32_t h[8];
	uint64_t nbytes;		/* message length so far */
	uint8_t buf[SHA256_BLOCK_LEN];	/* partial block */
	size_t nbuf;
};

MS_EXPORT void sha256_init(struct sha256_ctx *c);
/* Feed len bytes; data may be NULL when len is 0. */
MS_EXPORT void sha256_update(struct sha256_ctx *c, const void *data,
    size_t len);
/* Write the digest; the context must be re-initialised before reuse. */
MS_EXPORT void sha256_final(struct sha256_ctx *c,
    uint8_t out[SHA256_DIGEST_LEN]);

/* One-shot digest of len bytes. */
MS_EXPORT void sha256(const void *data, size_t len,
    uint8_t out[SHA256_DIGEST_LEN]);

/* HMAC-SHA256 of msg under key (any length; keys longer than a block are
 * hashed first, as RFC 2104 says). */
MS_EXPORT void sha256_hmac(const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t out[SHA256_DIGEST_LEN]);

/* Lower-case hex of a digest into out (SHA256_HEX_LEN + 1 bytes); returns
 * out. */
MS_EXPORT char *sha256_hex(const uint8_t d[SHA256_DIGEST_LEN],
    char out[SHA256_HEX_LEN + 1]);

#endif
