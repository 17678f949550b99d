/* token.h: random bearer secrets (session, magic-link, verification, recovery tokens),
 * their SHA-256 for storage (API-NOTES 18: the database keeps only the hash), constant-time
 * comparison, random numeric codes and random base64url identifiers. */
#ifndef LK_TOKEN_H
#define LK_TOKEN_H

#include <stddef.h>

#include "core/rc.h"

#define LK_TOKEN_BYTES    32 /* 256 random bits */
#define LK_TOKEN_LEN      43 /* unpadded base64url of LK_TOKEN_BYTES */
#define LK_TOKEN_HASH     32 /* SHA-256 */
#define LK_TOKEN_HASH_HEX 64

/* Writes a fresh token (LK_TOKEN_LEN base64url characters and a NUL) to out.
 * LK_OK or LK_E_CRYPTO if libsodium cannot start. */
lk_rc lk_token_new(char out[LK_TOKEN_LEN + 1]);

/* Writes nbytes random bytes as unpadded base64url (NUL-terminated) into out (out_size
 * bytes), e.g. user ids and WebAuthn challenges. LK_OK, LK_E_INVAL (out too small or
 * nbytes 0), LK_E_CRYPTO. */
lk_rc lk_token_random_b64url(size_t nbytes, char *out, size_t out_size);

/* Writes `digits` (1..18) uniformly random decimal digits and a NUL into out (digits + 1
 * bytes), e.g. the 8-digit code of a magic-link email. LK_OK, LK_E_INVAL, LK_E_CRYPTO. */
lk_rc lk_token_digits(unsigned digits, char *out, size_t out_size);

/* LK_OK if tok is the shape lk_token_new makes (43 base64url characters decoding to 32
 * bytes), else LK_E_MALFORMED. Lets the edge drop junk cookies before a database lookup. */
lk_rc lk_token_check_format(const char *tok, size_t tok_len);

/* SHA-256 of the tok_len bytes of tok (any string) into out. */
void lk_token_hash(const char *tok, size_t tok_len, unsigned char out[LK_TOKEN_HASH]);

/* Same as lower-case hex, NUL-terminated. */
void lk_token_hash_hex(const char *tok, size_t tok_len, char out[LK_TOKEN_HASH_HEX + 1]);

/* Constant-time comparison of two len-byte secrets: LK_OK if equal, else LK_E_VERIFY.
 * The time depends only on len. */
__attribute__((warn_unused_result)) lk_rc lk_token_compare(const void *a, const void *b,
                                                           size_t len);

#endif
