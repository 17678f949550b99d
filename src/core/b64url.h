/* b64url.h: unpadded base64url (RFC 4648 section 5) as used by WebAuthn, session tokens
 * and user ids. Decoding is strict: no padding, no '+' or '/', no whitespace, no trailing
 * garbage, no non-zero bits in a final partial group (one canonical encoding per value). */
#ifndef LK_B64URL_H
#define LK_B64URL_H

#include <stddef.h>

#include "core/rc.h"

/* Length of the unpadded encoding of n bytes, without the NUL. */
size_t lk_b64url_encoded_len(size_t n);

/* Upper bound of the bytes decoded from n characters. */
size_t lk_b64url_decoded_max(size_t n);

/* Encodes in[0..in_len) into out (out_size bytes), NUL-terminated.
 * LK_OK; LK_E_INVAL if out_size < lk_b64url_encoded_len(in_len) + 1. */
lk_rc lk_b64url_encode(const unsigned char *in, size_t in_len, char *out, size_t out_size);

/* Same into a malloc'ed NUL-terminated string the caller frees. LK_OK or LK_E_NOMEM. */
lk_rc lk_b64url_encode_alloc(const unsigned char *in, size_t in_len, char **out);

/* Decodes the in_len characters of in into out (out_cap bytes), length in *out_len.
 * LK_OK; LK_E_MALFORMED for anything that is not canonical unpadded base64url;
 * LK_E_TOOBIG if out_cap is too small. */
lk_rc lk_b64url_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap,
                       size_t *out_len);

/* Same into a malloc'ed buffer (*out, caller frees; non-NULL even for empty input).
 * LK_OK, LK_E_MALFORMED, LK_E_NOMEM. */
lk_rc lk_b64url_decode_alloc(const char *in, size_t in_len, unsigned char **out, size_t *out_len);

#endif
