/* util.c: private helpers of the WebAuthn verifier (see wa_util.h): failure messages,
 * strict base64url, digests. Inputs are untrusted bytes from the client. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "core/rc.h"
#include "core/webauthn/wa_util.h"

int
lk_wa_fail(struct lk_wa_error *err, int rc, const char *check, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL) {
		return rc;
	}
	err->check = check;
	n = snprintf(err->message, sizeof(err->message), "%s: ", check);
	if (n < 0 || (size_t)n >= sizeof(err->message)) {
		return rc;
	}
	va_start(ap, fmt);
	(void)vsnprintf(err->message + n, sizeof(err->message) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int
b64u_val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == (url ? '-' : '+')) {
		return 62;
	}
	if (c == (url ? '_' : '/')) {
		return 63;
	}
	return -1;
}

static int
decode(const char *in, size_t in_len, int url, size_t max_out, uint8_t **out, size_t *out_len)
{
	size_t full = in_len / 4, rem = in_len % 4, n, i, o = 0;
	uint8_t *buf;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	*out_len = 0;
	if (rem == 1) {
		return LK_E_MALFORMED;
	}
	n = full * 3 + (rem == 0 ? 0 : rem - 1);
	if (n > max_out) {
		return LK_E_TOOBIG;
	}
	buf = malloc(n ? n : 1);
	if (buf == NULL) {
		return LK_E_NOMEM;
	}
	for (i = 0; i < in_len; i++) {
		int v = b64u_val((unsigned char)in[i], url);
		if (v < 0) {
			free(buf);
			return LK_E_MALFORMED;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) { /* non-canonical: unused low bits set */
		free(buf);
		return LK_E_MALFORMED;
	}
	*out = buf;
	*out_len = o;
	return LK_OK;
}

int
lk_wa_b64u_decode(const char *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len)
{
	return decode(in, in_len, 1, max_out, out, out_len);
}

int
lk_wa_b64_decode(const char *in, size_t in_len, size_t max_out, uint8_t **out, size_t *out_len)
{
	/* '=' padding is optional, but when present it must complete the last group */
	if (in_len > 0 && in_len % 4 == 0 && in[in_len - 1] == '=') {
		in_len--;
		if (in[in_len - 1] == '=') {
			in_len--;
		}
	}
	return decode(in, in_len, 0, max_out, out, out_len);
}

char *
lk_wa_b64u_encode(const uint8_t *in, size_t in_len)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = (in_len / 3) * 4 + (in_len % 3 ? in_len % 3 + 1 : 0), i, o = 0;
	char *s;

	if (in_len > SIZE_MAX / 2) {
		return NULL;
	}
	s = malloc(n + 1);
	if (s == NULL) {
		return NULL;
	}
	for (i = 0; i + 2 < in_len; i += 3) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
		s[o++] = al[(v >> 18) & 63];
		s[o++] = al[(v >> 12) & 63];
		s[o++] = al[(v >> 6) & 63];
		s[o++] = al[v & 63];
	}
	if (in_len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		s[o++] = al[(v >> 18) & 63];
		s[o++] = al[(v >> 12) & 63];
	} else if (in_len - i == 2) {
		uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
		s[o++] = al[(v >> 18) & 63];
		s[o++] = al[(v >> 12) & 63];
		s[o++] = al[(v >> 6) & 63];
	}
	s[o] = '\0';
	return s;
}

int
lk_wa_digest(const char *md_name, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	unsigned int n = 0;
	const EVP_MD *md = EVP_get_digestbyname(md_name);

	if (md == NULL || EVP_Digest(in, in_len, out, &n, md, NULL) != 1) {
		return LK_E_CRYPTO;
	}
	*out_len = n;
	return LK_OK;
}

int
lk_wa_sha256(const uint8_t *in, size_t in_len, uint8_t out[32])
{
	size_t n;
	return lk_wa_digest("SHA256", in, in_len, out, &n);
}

void
lk_wa_aaguid_str(const uint8_t aaguid[16], char out[37])
{
	static const char hx[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			out[o++] = '-';
		}
		out[o++] = hx[aaguid[i] >> 4];
		out[o++] = hx[aaguid[i] & 15];
	}
	out[o] = '\0';
}
