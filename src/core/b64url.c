/* b64url.c: base64url codec over libsodium's constant-time implementation, with the
 * strictness checks latchkey wants on client-supplied strings. */
#include <stdlib.h>

#include <sodium.h>

#include "core/b64url.h"

size_t
lk_b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
lk_b64url_decoded_max(size_t n)
{
	return n / 4 * 3 + (n % 4) * 3 / 4;
}

lk_rc
lk_b64url_encode(const unsigned char *in, size_t in_len, char *out, size_t out_size)
{
	if (!out || (!in && in_len > 0) || in_len > (SIZE_MAX - 4) / 4 * 3 ||
	    out_size < lk_b64url_encoded_len(in_len) + 1) {
		return LK_E_INVAL;
	}
	/* sodium_bin2base64 needs room for its own NUL: sodium_base64_ENCODED_LEN. */
	if (out_size <
	    sodium_base64_ENCODED_LEN(in_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		return LK_E_INVAL;
	}
	sodium_bin2base64(out, out_size, in_len ? in : (const unsigned char *)"", in_len,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return LK_OK;
}

lk_rc
lk_b64url_encode_alloc(const unsigned char *in, size_t in_len, char **out)
{
	size_t n;
	lk_rc rc;

	if (!out || in_len > (SIZE_MAX - 4) / 4 * 3) {
		return LK_E_INVAL;
	}
	*out = NULL;
	n = sodium_base64_ENCODED_LEN(in_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (!(*out = malloc(n))) {
		return LK_E_NOMEM;
	}
	if ((rc = lk_b64url_encode(in, in_len, *out, n)) != LK_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

lk_rc
lk_b64url_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap, size_t *out_len)
{
	const char *end = NULL;
	size_t n = 0;
	unsigned char dummy;

	if (!out_len || (!in && in_len > 0) || (!out && out_cap > 0)) {
		return LK_E_INVAL;
	}
	*out_len = 0;
	if (in_len == 0) {
		return LK_OK;
	}
	/* a final group of one character cannot hold a byte */
	if (in_len % 4 == 1) {
		return LK_E_MALFORMED;
	}
	if (lk_b64url_decoded_max(in_len) > out_cap) {
		return LK_E_TOOBIG;
	}
	/* No ignore set: any character outside the alphabet (padding, '+', '/', space, NUL)
	 * stops the decoder; libsodium also refuses non-zero bits in a partial group. */
	if (sodium_base642bin(out ? out : &dummy, out_cap, in, in_len, NULL, &n, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != in + in_len) {
		if (out && out_cap) {
			sodium_memzero(out, out_cap);
		}
		return LK_E_MALFORMED;
	}
	*out_len = n;
	return LK_OK;
}

lk_rc
lk_b64url_decode_alloc(const char *in, size_t in_len, unsigned char **out, size_t *out_len)
{
	size_t cap;
	lk_rc rc;

	if (!out || !out_len) {
		return LK_E_INVAL;
	}
	*out = NULL;
	*out_len = 0;
	cap = lk_b64url_decoded_max(in_len);
	if (!(*out = malloc(cap ? cap : 1))) {
		return LK_E_NOMEM;
	}
	if ((rc = lk_b64url_decode(in, in_len, *out, cap, out_len)) != LK_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}
