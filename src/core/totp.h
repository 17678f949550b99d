/* totp.h: HOTP (RFC 4226) and TOTP (RFC 6238) with HMAC-SHA-1/256/512, 6 to 8 digits and
 * any period, and the verification rule of API.md: accepted for steps t-skew..t+skew, a
 * step at or before the user's last accepted step is a replay. The core gets `now` from its
 * caller; it never reads the clock. */
#ifndef LK_TOTP_H
#define LK_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "core/rc.h"

enum lk_totp_alg {
	LK_TOTP_SHA1 = 1,
	LK_TOTP_SHA256 = 2,
	LK_TOTP_SHA512 = 3,
};

#define LK_TOTP_MIN_DIGITS 6
#define LK_TOTP_MAX_DIGITS 8
#define LK_TOTP_CODE_SIZE  (LK_TOTP_MAX_DIGITS + 1) /* a code and its NUL */
#define LK_TOTP_MAX_SKEW   10                       /* API-NOTES 141 */
#define LK_TOTP_MAX_KEY    LK_MAX_TOTP_KEY          /* bytes; see limits.h */

#define LK_TOTP_SECRET_BYTES 20 /* 160 bits whatever the algorithm (API-NOTES 75) */
#define LK_TOTP_SECRET_B32   32 /* its unpadded base32 length */

/* A fresh random secret: LK_TOTP_SECRET_BYTES bytes into key and, if b32 is not NULL, its
 * upper-case unpadded base32 and a NUL into b32. The caller wipes key. LK_OK or
 * LK_E_CRYPTO. */
lk_rc lk_totp_secret_new(unsigned char key[LK_TOTP_SECRET_BYTES], char b32[LK_TOTP_SECRET_B32 + 1]);

/* The otpauth URI of API-NOTES 76 into a malloc'ed string the caller frees:
 * otpauth://totp/<issuer>:<email>?secret=<b32>&issuer=<issuer>&algorithm=<A>&digits=<d>&period=<p>
 * with issuer and email percent-encoded (RFC 3986 unreserved characters and '@' kept).
 * LK_OK; LK_E_INVAL (NULL or empty issuer or email, an issuer holding ':', a secret that is
 * not upper-case unpadded base32, digits outside 6..8, period 0, unknown alg);
 * LK_E_NOMEM. */
lk_rc lk_totp_uri(const char *issuer, const char *email, const char *secret_b32,
                  enum lk_totp_alg alg, unsigned digits, unsigned period, char **out);

/* Parses "SHA1", "SHA256" or "SHA512" in any case (API-NOTES 141) into *alg.
 * LK_OK or LK_E_UNSUPPORTED (anything else, NULL included). */
lk_rc lk_totp_alg_parse(const char *name, enum lk_totp_alg *alg);

/* The upper-case name of alg as written in otpauth URIs ("SHA1", ...), or NULL. */
const char *lk_totp_alg_name(enum lk_totp_alg alg);

/* SPEC rfc4226 5.3: the `digits`-digit HOTP value of key at counter, zero-padded and
 * NUL-terminated into out. LK_OK; LK_E_INVAL (key empty or over LK_TOTP_MAX_KEY, digits
 * outside 6..8, unknown alg); LK_E_CRYPTO (OpenSSL failed). */
lk_rc lk_totp_hotp(const unsigned char *key, size_t key_len, enum lk_totp_alg alg, unsigned digits,
                   uint64_t counter, char out[LK_TOTP_CODE_SIZE]);

/* SPEC rfc6238 4.2: the time step of now_seconds, floor(now / period), T0 = 0. Negative
 * for times before 1970. period must be >= 1 (0 gives -1). */
int64_t lk_totp_step(int64_t now_seconds, unsigned period);

/* The TOTP code at now_seconds (lk_totp_hotp at lk_totp_step). Same returns as
 * lk_totp_hotp, plus LK_E_INVAL for period 0 or a time before 1970. */
lk_rc lk_totp_code(const unsigned char *key, size_t key_len, enum lk_totp_alg alg, unsigned digits,
                   unsigned period, int64_t now_seconds, char out[LK_TOTP_CODE_SIZE]);

/* Removes spaces and dashes from the in_len bytes of in (API-NOTES 39, 73) and requires
 * exactly `digits` decimal digits; writes them NUL-terminated into out.
 * LK_OK, LK_E_MALFORMED (wrong length or other characters), LK_E_INVAL (bad digits). */
lk_rc lk_totp_normalize_code(const char *in, size_t in_len, unsigned digits,
                             char out[LK_TOTP_CODE_SIZE]);

/* Verifies the NUL-terminated code (exactly `digits` decimal digits, as normalised above)
 * against every step t-skew..t+skew around t = lk_totp_step(now_seconds, period),
 * comparing in constant time and without stopping at the first match. last_step is the
 * user's last accepted step (-1 for none).
 *  LK_OK          a step > last_step matched; the latest such step goes to *matched_step
 *                 (may be NULL), which the caller stores as the new last step
 *  LK_E_REPLAY    only steps <= last_step matched (SPEC rfc6238 5.2: one use per step)
 *  LK_E_VERIFY    no step matched, or the code is not `digits` digits
 *  LK_E_INVAL     bad parameters (key, alg, digits 6..8, period 0, skew > 10, now_seconds
 *                 negative or over INT64_MAX / 2)
 *  LK_E_CRYPTO    OpenSSL failed */
__attribute__((warn_unused_result)) lk_rc lk_totp_verify(const unsigned char *key, size_t key_len,
                                                         enum lk_totp_alg alg, unsigned digits,
                                                         unsigned period, unsigned skew,
                                                         int64_t now_seconds, const char *code,
                                                         int64_t last_step, int64_t *matched_step);

#endif
