/* base32.h: RFC 4648 base32 for TOTP secrets (otpauth URIs, the `secret` of
 * /2fa/totp/setup, the `totp code` command). */
#ifndef LK_BASE32_H
#define LK_BASE32_H

#include <stddef.h>

#include "core/rc.h"

/* Length of the unpadded encoding of n bytes, without the NUL. */
size_t lk_base32_encoded_len(size_t n);

/* Encodes in[0..in_len) upper-case without padding into out (out_size bytes),
 * NUL-terminated. LK_OK or LK_E_INVAL (out too small). */
lk_rc lk_base32_encode(const unsigned char *in, size_t in_len, char *out, size_t out_size);

/* Decodes the in_len characters of in into out (out_cap bytes), length in *out_len.
 * Letters in either case; padding optional, but when present it must complete the last
 * group of 8 exactly. Refused (LK_E_MALFORMED): characters outside the alphabet
 * (whitespace, 0, 1, 8, 9, ...), padding in the middle or after padding, impossible
 * final groups of 1, 3 or 6 characters, non-zero unused bits in the final group.
 * LK_E_TOOBIG if out_cap is too small. On error *out_len is 0. */
lk_rc lk_base32_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap,
                       size_t *out_len);

#endif
