/* totp.c: one-time codes. Keys are secrets (the caller unseals and wipes them); codes come
 * from clients. HMAC from OpenSSL's libcrypto; comparisons in constant time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "core/base32.h"
#include "core/totp.h"

lk_rc
lk_totp_alg_parse(const char *name, enum lk_totp_alg *alg)
{
	if (!name || !alg) {
		return LK_E_UNSUPPORTED;
	}
	if (strcasecmp(name, "SHA1") == 0) {
		*alg = LK_TOTP_SHA1;
	} else if (strcasecmp(name, "SHA256") == 0) {
		*alg = LK_TOTP_SHA256;
	} else if (strcasecmp(name, "SHA512") == 0) {
		*alg = LK_TOTP_SHA512;
	} else {
		return LK_E_UNSUPPORTED;
	}
	return LK_OK;
}

const char *
lk_totp_alg_name(enum lk_totp_alg alg)
{
	switch (alg) {
	case LK_TOTP_SHA1:
		return "SHA1";
	case LK_TOTP_SHA256:
		return "SHA256";
	case LK_TOTP_SHA512:
		return "SHA512";
	}
	return NULL;
}

static const EVP_MD *
md_of(enum lk_totp_alg alg)
{
	switch (alg) {
	case LK_TOTP_SHA1:
		return EVP_sha1();
	case LK_TOTP_SHA256:
		return EVP_sha256();
	case LK_TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static const uint32_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

lk_rc
lk_totp_hotp(const unsigned char *key, size_t key_len, enum lk_totp_alg alg, unsigned digits,
             uint64_t counter, char out[LK_TOTP_CODE_SIZE])
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const EVP_MD *md = md_of(alg);
	uint32_t bin, v;
	unsigned off;
	lk_rc rc = LK_E_CRYPTO;

	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (!key || key_len == 0 || key_len > LK_TOTP_MAX_KEY || !md ||
	    digits < LK_TOTP_MIN_DIGITS || digits > LK_TOTP_MAX_DIGITS) {
		return LK_E_INVAL;
	}
	/* SPEC rfc4226 5.2: the counter as 8 bytes, big-endian */
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	/* SPEC rfc4226 5.3 step 1: HS = HMAC(K, C) */
	if (!HMAC(md, key, (int)key_len, msg, sizeof(msg), mac, &mac_len) || mac_len < 20) {
		goto out;
	}
	/* SPEC rfc4226 5.3 step 2: dynamic truncation, offset = low 4 bits of the last byte */
	off = mac[mac_len - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	/* SPEC rfc4226 5.3 step 3: Snum mod 10^Digit, zero-padded */
	v = bin % pow10[digits];
	for (unsigned i = digits; i > 0; i--) {
		out[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	out[digits] = '\0';
	rc = LK_OK;
out:
	sodium_memzero(mac, sizeof(mac));
	return rc;
}

int64_t
lk_totp_step(int64_t now_seconds, unsigned period)
{
	int64_t q;

	if (period == 0) {
		return -1;
	}
	q = now_seconds / (int64_t)period;
	if (now_seconds % (int64_t)period != 0 && now_seconds < 0) {
		q--;
	}
	return q;
}

lk_rc
lk_totp_code(const unsigned char *key, size_t key_len, enum lk_totp_alg alg, unsigned digits,
             unsigned period, int64_t now_seconds, char out[LK_TOTP_CODE_SIZE])
{
	int64_t t;

	if (!out) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (period == 0 || now_seconds < 0) {
		return LK_E_INVAL;
	}
	t = lk_totp_step(now_seconds, period);
	return lk_totp_hotp(key, key_len, alg, digits, (uint64_t)t, out);
}

lk_rc
lk_totp_normalize_code(const char *in, size_t in_len, unsigned digits, char out[LK_TOTP_CODE_SIZE])
{
	size_t n = 0;

	if (!out || digits < LK_TOTP_MIN_DIGITS || digits > LK_TOTP_MAX_DIGITS) {
		return LK_E_INVAL;
	}
	out[0] = '\0';
	if (!in) {
		return LK_E_MALFORMED;
	}
	for (size_t i = 0; i < in_len; i++) {
		char c = in[i];
		if (c == ' ' || c == '-') {
			continue;
		}
		if (c < '0' || c > '9' || n >= digits) {
			out[0] = '\0';
			return LK_E_MALFORMED;
		}
		out[n++] = c;
	}
	if (n != digits) {
		out[0] = '\0';
		return LK_E_MALFORMED;
	}
	out[n] = '\0';
	return LK_OK;
}

lk_rc
lk_totp_verify(const unsigned char *key, size_t key_len, enum lk_totp_alg alg, unsigned digits,
               unsigned period, unsigned skew, int64_t now_seconds, const char *code,
               int64_t last_step, int64_t *matched_step)
{
	char want[LK_TOTP_CODE_SIZE];
	int64_t t, s, fresh = -1;
	int replay = 0, wellformed = 1;
	size_t i;
	lk_rc rc;

	if (!key || key_len == 0 || key_len > LK_TOTP_MAX_KEY || !md_of(alg) ||
	    digits < LK_TOTP_MIN_DIGITS || digits > LK_TOTP_MAX_DIGITS || period == 0 ||
	    skew > LK_TOTP_MAX_SKEW || now_seconds < 0 || now_seconds > INT64_MAX / 2) {
		/* a clock before 1970 is broken; the bound keeps t + skew from overflowing */
		return LK_E_INVAL;
	}
	if (!code) {
		return LK_E_VERIFY;
	}
	for (i = 0; i < digits; i++) {
		if (code[i] < '0' || code[i] > '9') {
			wellformed = 0;
			break;
		}
	}
	if (!wellformed || code[digits] != '\0') {
		return LK_E_VERIFY;
	}
	t = lk_totp_step(now_seconds, period);
	/* SPEC rfc6238 5.2: accept the steps of the allowed window; check them all */
	for (s = t - (int64_t)skew; s <= t + (int64_t)skew; s++) {
		if (s < 0) {
			continue;
		}
		if ((rc = lk_totp_hotp(key, key_len, alg, digits, (uint64_t)s, want)) != LK_OK) {
			sodium_memzero(want, sizeof(want));
			return rc;
		}
		int match = sodium_memcmp(want, code, digits) == 0;
		if (match && s > last_step) {
			fresh = s; /* ascending, so the latest matching step wins */
		} else if (match) {
			replay = 1;
		}
	}
	sodium_memzero(want, sizeof(want));
	if (fresh >= 0) {
		if (matched_step) {
			*matched_step = fresh;
		}
		return LK_OK;
	}
	return replay ? LK_E_REPLAY : LK_E_VERIFY;
}

lk_rc
lk_totp_secret_new(unsigned char key[LK_TOTP_SECRET_BYTES], char b32[LK_TOTP_SECRET_B32 + 1])
{
	if (!key) {
		return LK_E_INVAL;
	}
	if (sodium_init() < 0) {
		return LK_E_CRYPTO;
	}
	randombytes_buf(key, LK_TOTP_SECRET_BYTES);
	if (b32) {
		return lk_base32_encode(key, LK_TOTP_SECRET_BYTES, b32, LK_TOTP_SECRET_B32 + 1);
	}
	return LK_OK;
}

/* Appends s percent-encoded (RFC 3986 2.3 unreserved and '@' kept) to out at *o. out has
 * room for 3 * strlen(s) more bytes. */
static void
pct_append(char *out, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
			out[(*o)++] = (char)c;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 15];
		}
	}
}

lk_rc
lk_totp_uri(const char *issuer, const char *email, const char *secret_b32, enum lk_totp_alg alg,
            unsigned digits, unsigned period, char **out)
{
	const char *alg_name = lk_totp_alg_name(alg);
	size_t il, el, sl, cap, o = 0;
	char *u, tail[96];
	int n;

	if (!out) {
		return LK_E_INVAL;
	}
	*out = NULL;
	if (!issuer || !email || !secret_b32 || !alg_name || digits < LK_TOTP_MIN_DIGITS ||
	    digits > LK_TOTP_MAX_DIGITS || period == 0) {
		return LK_E_INVAL;
	}
	il = strlen(issuer);
	el = strlen(email);
	sl = strlen(secret_b32);
	/* SPEC API-NOTES 76: an issuer holding ':' would split the label wrongly */
	if (il == 0 || el == 0 || sl == 0 || strchr(issuer, ':') ||
	    strspn(secret_b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != sl) {
		return LK_E_INVAL;
	}
	n = snprintf(tail, sizeof(tail), "&algorithm=%s&digits=%u&period=%u", alg_name, digits,
	             period);
	if (n < 0 || (size_t)n >= sizeof(tail)) {
		return LK_E_INVAL;
	}
	if (il > SIZE_MAX / 8 || el > SIZE_MAX / 8 || sl > SIZE_MAX / 8) {
		return LK_E_INVAL;
	}
	cap = sizeof("otpauth://totp/:?secret=&issuer=") + 6 * il + 3 * el + sl + (size_t)n + 1;
	if (!(u = malloc(cap))) {
		return LK_E_NOMEM;
	}
	memcpy(u, "otpauth://totp/", 15);
	o = 15;
	pct_append(u, &o, issuer);
	u[o++] = ':';
	pct_append(u, &o, email);
	memcpy(u + o, "?secret=", 8);
	o += 8;
	memcpy(u + o, secret_b32, sl);
	o += sl;
	memcpy(u + o, "&issuer=", 8);
	o += 8;
	pct_append(u, &o, issuer);
	memcpy(u + o, tail, (size_t)n + 1);
	*out = u;
	return LK_OK;
}
