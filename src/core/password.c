/* password.c: argon2id password hashes and the new-password policy. Passwords come from
 * clients (untrusted, secret); the common list is embedded at build time from
 * data/common-passwords.txt (sorted bytewise, one lower-case entry a line; see
 * scripts/make-common-passwords) and binary-searched in place, so there is no state. */
#include <string.h>

#include <sodium.h>

#include "core/limits.h"
#include "core/password.h"
#include "core/utf8.h"
#include "embedded.h"

/* A hash of a password no account has, with the current parameters. Used only to spend
 * the time of a real verification; test_password checks that it costs what a real hash
 * does. Sized like libsodium's parameter so FORTIFY_SOURCE=3 accepts the call. */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
    "$argon2id$v=19$m=19456,t=2,p=1$LkPJRki6jH1ISntQunL4RQ$"
    "rvTh81Dk79+UjwAqndca69x9s6d9DGnJ5bG35zEE9FI";

_Static_assert(LK_PASSWORD_HASH_SIZE == crypto_pwhash_STRBYTES, "hash buffer size");

lk_rc
lk_password_hash(const char *pw, size_t pw_len, char out[LK_PASSWORD_HASH_SIZE])
{
	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (!pw && pw_len > 0) {
		return LK_E_INVAL;
	}
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	if (crypto_pwhash_str_alg(out, pw ? pw : "", pw_len, LK_PASSWORD_OPSLIMIT,
	                          LK_PASSWORD_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		/* libsodium fails here only when the memory cannot be had */
		out[0] = '\0';
		return LK_E_NOMEM;
	}
	return LK_OK;
}

lk_rc
lk_password_verify(const char *hash, const char *pw, size_t pw_len)
{
	if (!hash || (!pw && pw_len > 0) || sodium_init() < 0) {
		return LK_E_VERIFY;
	}
	return crypto_pwhash_str_verify(hash, pw ? pw : "", pw_len) == 0 ? LK_OK : LK_E_VERIFY;
}

void
lk_password_verify_dummy(const char *pw, size_t pw_len)
{
	/* the answer is meaningless; only the time matters */
	if (lk_password_verify(dummy_hash, pw, pw_len) == LK_OK) {
		return;
	}
}

bool
lk_password_needs_rehash(const char *hash)
{
	if (!hash || strncmp(hash, "$argon2id$", 10) != 0) {
		return true;
	}
	return crypto_pwhash_str_needs_rehash(hash, LK_PASSWORD_OPSLIMIT, LK_PASSWORD_MEMLIMIT) !=
	       0;
}

/* Bytewise order, the order of `LC_ALL=C sort`. */
static int
cmp_line(const char *key, size_t key_len, const unsigned char *line, size_t line_len)
{
	size_t n = key_len < line_len ? key_len : line_len;
	int c = memcmp(key, line, n);

	if (c != 0) {
		return c;
	}
	return key_len < line_len ? -1 : key_len > line_len ? 1 : 0;
}

/* Binary search over the sorted lines of d[0..n): lo always sits at a line start. */
static bool
sorted_lines_contain(const unsigned char *d, size_t n, const char *key, size_t key_len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, end;
		const unsigned char *nl;
		int c;

		while (mid > lo && d[mid - 1] != '\n') {
			mid--;
		}
		nl = memchr(d + mid, '\n', n - mid);
		end = nl ? (size_t)(nl - d) : n;
		c = cmp_line(key, key_len, d + mid, end - mid);
		if (c == 0) {
			return true;
		}
		if (c < 0) {
			hi = mid;
		} else {
			lo = end < n ? end + 1 : n;
		}
	}
	return false;
}

bool
lk_password_is_common(const char *pw, size_t pw_len)
{
	const struct lk_embedded *list = lk_embedded_find("data/common-passwords.txt");
	char lower[LK_MAX_PASSWORD_BYTES];
	bool found;

	if (!list || !pw || pw_len == 0 || pw_len > sizeof(lower)) {
		/* the list has no entry that long (or empty) */
		return false;
	}
	for (size_t i = 0; i < pw_len; i++) {
		char c = pw[i];
		lower[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	found = sorted_lines_contain(list->data, list->len, lower, pw_len);
	sodium_memzero(lower, pw_len);
	return found;
}

enum lk_password_weakness
lk_password_check(const char *pw, size_t pw_len)
{
	size_t cps = 0;

	if ((!pw && pw_len > 0) || lk_utf8_count(pw, pw_len, &cps) != LK_OK) {
		return LK_PASSWORD_BAD_UTF8;
	}
	if (cps < LK_MIN_PASSWORD_CP) {
		return LK_PASSWORD_TOO_SHORT;
	}
	if (cps > LK_MAX_PASSWORD_CP) {
		return LK_PASSWORD_TOO_LONG;
	}
	if (lk_password_is_common(pw, pw_len)) {
		return LK_PASSWORD_COMMON;
	}
	return LK_PASSWORD_OK;
}

const char *
lk_password_weakness_str(enum lk_password_weakness w)
{
	switch (w) {
	case LK_PASSWORD_OK:
		return "ok";
	case LK_PASSWORD_TOO_SHORT:
		return "password too short";
	case LK_PASSWORD_TOO_LONG:
		return "password too long";
	case LK_PASSWORD_COMMON:
		return "password too common";
	case LK_PASSWORD_BAD_UTF8:
		return "password is not valid UTF-8";
	}
	return "unknown";
}
