/* token.c: random tokens and their hashes. Randomness comes only from libsodium's
 * randombytes (the kernel CSPRNG); nothing here is seeded or stored. */
#include <sodium.h>

#include "core/b64url.h"
#include "core/token.h"

static lk_rc
ready(void)
{
	return sodium_init() < 0 ? LK_E_CRYPTO : LK_OK;
}

lk_rc
lk_token_random_b64url(size_t nbytes, char *out, size_t out_size)
{
	unsigned char buf[256];
	lk_rc rc;

	if (!out || nbytes == 0 || nbytes > sizeof(buf) ||
	    out_size < lk_b64url_encoded_len(nbytes) + 1) {
		return LK_E_INVAL;
	}
	if ((rc = ready()) != LK_OK) {
		return rc;
	}
	randombytes_buf(buf, nbytes);
	rc = lk_b64url_encode(buf, nbytes, out, out_size);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

lk_rc
lk_token_new(char out[LK_TOKEN_LEN + 1])
{
	return lk_token_random_b64url(LK_TOKEN_BYTES, out, LK_TOKEN_LEN + 1);
}

lk_rc
lk_token_digits(unsigned digits, char *out, size_t out_size)
{
	lk_rc rc;

	if (!out || digits == 0 || digits > 18 || out_size < (size_t)digits + 1) {
		return LK_E_INVAL;
	}
	if ((rc = ready()) != LK_OK) {
		return rc;
	}
	for (unsigned i = 0; i < digits; i++) {
		/* randombytes_uniform has no modulo bias */
		out[i] = (char)('0' + randombytes_uniform(10));
	}
	out[digits] = '\0';
	return LK_OK;
}

lk_rc
lk_token_check_format(const char *tok, size_t tok_len)
{
	unsigned char bin[LK_TOKEN_BYTES + 2];
	size_t n = 0;
	lk_rc rc;

	if (!tok || tok_len != LK_TOKEN_LEN) {
		return LK_E_MALFORMED;
	}
	rc = lk_b64url_decode(tok, tok_len, bin, sizeof(bin), &n);
	sodium_memzero(bin, sizeof(bin));
	return rc == LK_OK && n == LK_TOKEN_BYTES ? LK_OK : LK_E_MALFORMED;
}

void
lk_token_hash(const char *tok, size_t tok_len, unsigned char out[LK_TOKEN_HASH])
{
	crypto_hash_sha256(out, (const unsigned char *)(tok ? tok : ""), tok ? tok_len : 0);
}

void
lk_token_hash_hex(const char *tok, size_t tok_len, char out[LK_TOKEN_HASH_HEX + 1])
{
	unsigned char h[LK_TOKEN_HASH];

	lk_token_hash(tok, tok_len, h);
	sodium_bin2hex(out, LK_TOKEN_HASH_HEX + 1, h, sizeof(h));
}

lk_rc
lk_token_compare(const void *a, const void *b, size_t len)
{
	if (!a || !b) {
		return LK_E_VERIFY;
	}
	return sodium_memcmp(a, b, len) == 0 ? LK_OK : LK_E_VERIFY;
}
