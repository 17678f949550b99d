/* base32.c: RFC 4648 section 6 base32. Decodes secrets typed or pasted by people and by
 * the command line; strict so that each secret has one spelling up to case and padding. */
#include <sodium.h>

#include "core/base32.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t
lk_base32_encoded_len(size_t n)
{
	return n / 5 * 8 + (n % 5 * 8 + 4) / 5;
}

lk_rc
lk_base32_encode(const unsigned char *in, size_t in_len, char *out, size_t out_size)
{
	size_t o = 0;
	unsigned acc = 0, bits = 0;

	if (!out || (!in && in_len > 0) || in_len > SIZE_MAX / 8 - 1 ||
	    out_size < lk_base32_encoded_len(in_len) + 1) {
		return LK_E_INVAL;
	}
	for (size_t i = 0; i < in_len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0) {
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	}
	out[o] = '\0';
	return LK_OK;
}

static int
value(char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a';
	}
	if (c >= '2' && c <= '7') {
		return c - '2' + 26;
	}
	return -1;
}

lk_rc
lk_base32_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap, size_t *out_len)
{
	size_t data = in_len, rem, need, o = 0;
	unsigned acc = 0, bits = 0;
	lk_rc rc = LK_E_MALFORMED;

	if (!out_len || (!in && in_len > 0) || (!out && out_cap > 0)) {
		return LK_E_INVAL;
	}
	*out_len = 0;
	/* SPEC rfc4648 3.2: padding only at the end, completing a group of 8 */
	while (data > 0 && in[data - 1] == '=') {
		data--;
	}
	rem = data % 8;
	if (data < in_len && (rem == 0 || in_len % 8 != 0 || in_len - data != 8 - rem)) {
		return LK_E_MALFORMED;
	}
	/* SPEC rfc4648 6: a final quantum has 2, 4, 5 or 7 characters */
	if (rem == 1 || rem == 3 || rem == 6) {
		return LK_E_MALFORMED;
	}
	need = data / 8 * 5 + rem * 5 / 8;
	if (need > out_cap) {
		return LK_E_TOOBIG;
	}
	for (size_t i = 0; i < data; i++) {
		int v = value(in[i]);
		if (v < 0) {
			goto out;
		}
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (acc != 0) {
		goto out;
	}
	*out_len = o;
	rc = LK_OK;
out:
	if (rc != LK_OK && o > 0) {
		sodium_memzero(out, o);
	}
	return rc;
}
