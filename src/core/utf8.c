/* utf8.c: strict UTF-8 decoder (RFC 3629 section 4 syntax). Untrusted bytes in, code
 * points out; refuses rather than repairs (API-NOTES 4: never U+FFFD). */
#include "core/utf8.h"

lk_rc
lk_utf8_next(const char *s, size_t s_len, size_t *pos, uint32_t *cp)
{
	const unsigned char *p;
	size_t avail, need, i;
	uint32_t c, min;

	if (!s || !pos || !cp || *pos >= s_len) {
		return LK_E_INVAL;
	}
	p = (const unsigned char *)s + *pos;
	avail = s_len - *pos;
	c = p[0];
	/* SPEC rfc3629 4: UTF8-1 / UTF8-2 / UTF8-3 / UTF8-4 lead bytes */
	if (c < 0x80) {
		*cp = c;
		*pos += 1;
		return LK_OK;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		/* 0x80..0xc1 (continuation or overlong 2-byte lead), 0xf5..0xff */
		return LK_E_MALFORMED;
	}
	if (avail < need + 1) {
		return LK_E_MALFORMED;
	}
	for (i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return LK_E_MALFORMED;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond Unicode */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) {
		return LK_E_MALFORMED;
	}
	*cp = c;
	*pos += need + 1;
	return LK_OK;
}

lk_rc
lk_utf8_count(const char *s, size_t s_len, size_t *count)
{
	size_t pos = 0, n = 0;
	uint32_t cp;
	lk_rc rc;

	if (!s && s_len > 0) {
		return LK_E_INVAL;
	}
	while (pos < s_len) {
		/* ASCII fast path */
		if ((unsigned char)s[pos] < 0x80) {
			pos++;
			n++;
			continue;
		}
		if ((rc = lk_utf8_next(s, s_len, &pos, &cp)) != LK_OK) {
			return rc;
		}
		n++;
	}
	if (count) {
		*count = n;
	}
	return LK_OK;
}

lk_rc
lk_utf8_validate(const char *s, size_t s_len)
{
	return lk_utf8_count(s, s_len, NULL);
}
