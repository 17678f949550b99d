/* recovery_code.c: generation (libsodium randombytes_uniform: no modulo bias),
 * normalisation of client input (untrusted) and keyed digests, so a stolen database does
 * not give codes away without the key file. */
#include <string.h>

#include <sodium.h>

#include "core/recovery_code.h"

static const char alphabet[] = "23456789abcdefghjkmnpqrstuvwxyz";

_Static_assert(sizeof(alphabet) - 1 == 31, "31-character alphabet");

lk_rc
lk_recovery_code_generate(char out[LK_RECOVERY_CODE_LEN + 1])
{
	if (!out) {
		return LK_E_INVAL;
	}
	if (sodium_init() < 0) {
		out[0] = '\0';
		return LK_E_CRYPTO;
	}
	for (int i = 0, o = 0; i < LK_RECOVERY_CODE_CHARS; i++) {
		if (i == 5) {
			out[o++] = '-';
		}
		out[o++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	}
	out[LK_RECOVERY_CODE_LEN] = '\0';
	return LK_OK;
}

lk_rc
lk_recovery_codes_generate(char out[LK_RECOVERY_CODES][LK_RECOVERY_CODE_LEN + 1])
{
	lk_rc rc;

	if (!out) {
		return LK_E_INVAL;
	}
	for (int i = 0; i < LK_RECOVERY_CODES; i++) {
		int dup;
		do {
			if ((rc = lk_recovery_code_generate(out[i])) != LK_OK) {
				return rc;
			}
			dup = 0;
			for (int j = 0; j < i; j++) {
				dup |= strcmp(out[i], out[j]) == 0;
			}
		} while (dup);
	}
	return LK_OK;
}

lk_rc
lk_recovery_code_normalize(const char *in, size_t in_len, char out[LK_RECOVERY_CODE_CHARS + 1])
{
	size_t n = 0;

	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (!in) {
		return LK_E_MALFORMED;
	}
	if (in_len > LK_RECOVERY_CODE_MAX_IN) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < in_len; i++) {
		char c = in[i];
		if (c == ' ' || c == '-') {
			continue;
		}
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		/* memchr would also find the terminating NUL: refuse it first */
		if (c == '\0' || !memchr(alphabet, c, sizeof(alphabet) - 1) ||
		    n >= LK_RECOVERY_CODE_CHARS) {
			sodium_memzero(out, LK_RECOVERY_CODE_CHARS + 1);
			return LK_E_MALFORMED;
		}
		out[n++] = c;
	}
	if (n != LK_RECOVERY_CODE_CHARS) {
		sodium_memzero(out, LK_RECOVERY_CODE_CHARS + 1);
		return LK_E_MALFORMED;
	}
	out[n] = '\0';
	return LK_OK;
}

lk_rc
lk_recovery_code_digest(const struct lk_serverkey *k, const char *in, size_t in_len,
                        unsigned char out[LK_RECOVERY_CODE_DIGEST])
{
	unsigned char key[LK_KEY_BYTES];
	char norm[LK_RECOVERY_CODE_CHARS + 1];
	lk_rc rc;

	if (!k || !out) {
		return LK_E_INVAL;
	}
	if ((rc = lk_recovery_code_normalize(in, in_len, norm)) != LK_OK) {
		return rc;
	}
	if ((rc = lk_key_derive(k, LK_KEY_RECOVERY, key)) != LK_OK) {
		goto out;
	}
	_Static_assert(crypto_auth_hmacsha256_KEYBYTES == LK_KEY_BYTES, "hmac key size");
	crypto_auth_hmacsha256(out, (const unsigned char *)norm, LK_RECOVERY_CODE_CHARS, key);
	rc = LK_OK;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(norm, sizeof(norm));
	return rc;
}
