/* wa_util.h: private helpers of the WebAuthn verifier: failure reporting with a check name,
 * base64url, SHA-256 and a bounded reader over untrusted bytes. Nothing here is used
 * outside src/core/webauthn/. */
#ifndef LK_WA_UTIL_H
#define LK_WA_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/webauthn/webauthn.h"

/* Fills err (may be NULL) with check and "<check>: <detail>" and returns rc. */
int lk_wa_fail(struct lk_wa_error *err, int rc, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Decodes canonical unpadded base64url (no padding, no whitespace, unused bits zero) of
 * at most max_out bytes into a fresh malloc'd buffer (*out, *out_len; a 0-length input
 * gives a 1-byte allocation and length 0). LK_E_MALFORMED, LK_E_TOOBIG, LK_E_NOMEM. */
int lk_wa_b64u_decode(const char *in, size_t in_len, size_t max_out, uint8_t **out,
                      size_t *out_len);
/* The same for standard base64 (RFC 4648 §4, '+' '/'), with optional '=' padding. */
int lk_wa_b64_decode(const char *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len);
/* Encodes into a fresh NUL-terminated malloc'd string, or NULL on allocation failure. */
char *lk_wa_b64u_encode(const uint8_t *in, size_t in_len);

/* SHA-256 / SHA-384 / SHA-512 / SHA-1 of a byte string; LK_E_CRYPTO on library failure. */
int lk_wa_sha256(const uint8_t *in, size_t in_len, uint8_t out[32]);
int lk_wa_digest(const char *md_name, const uint8_t *in, size_t in_len, uint8_t *out,
                 size_t *out_len);

/* A bounded big-endian reader: every read checks the remaining length. */
struct lk_wa_rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

static inline void
lk_wa_rd_init(struct lk_wa_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
}

static inline size_t
lk_wa_rd_left(const struct lk_wa_rd *r)
{
	return r->len - r->pos;
}

static inline int
lk_wa_rd_bytes(struct lk_wa_rd *r, size_t n, const uint8_t **out)
{
	if (lk_wa_rd_left(r) < n) {
		return -1;
	}
	*out = r->p + r->pos;
	r->pos += n;
	return 0;
}

static inline int
lk_wa_rd_u8(struct lk_wa_rd *r, uint8_t *v)
{
	const uint8_t *b;
	if (lk_wa_rd_bytes(r, 1, &b) != 0) {
		return -1;
	}
	*v = b[0];
	return 0;
}

static inline int
lk_wa_rd_be16(struct lk_wa_rd *r, uint16_t *v)
{
	const uint8_t *b;
	if (lk_wa_rd_bytes(r, 2, &b) != 0) {
		return -1;
	}
	*v = (uint16_t)((b[0] << 8) | b[1]);
	return 0;
}

static inline int
lk_wa_rd_be32(struct lk_wa_rd *r, uint32_t *v)
{
	const uint8_t *b;
	if (lk_wa_rd_bytes(r, 4, &b) != 0) {
		return -1;
	}
	*v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
	return 0;
}

static inline int
lk_wa_rd_be64(struct lk_wa_rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (lk_wa_rd_be32(r, &hi) != 0 || lk_wa_rd_be32(r, &lo) != 0) {
		return -1;
	}
	*v = ((uint64_t)hi << 32) | lo;
	return 0;
}

/* A TPM2B: a 16-bit big-endian size then that many bytes. */
static inline int
lk_wa_rd_tpm2b(struct lk_wa_rd *r, const uint8_t **out, size_t *out_len)
{
	uint16_t n;
	if (lk_wa_rd_be16(r, &n) != 0 || lk_wa_rd_bytes(r, n, out) != 0) {
		return -1;
	}
	*out_len = n;
	return 0;
}

/* 0 when every byte was read (lk_rd_end: trailing bytes are an error). */
static inline int
lk_wa_rd_end(const struct lk_wa_rd *r)
{
	return r->pos == r->len ? 0 : -1;
}

#endif
